"""Python source as the interpreter reads it, for fixes that move statements: decoded with the
file's own encoding (PEP 263 cookie, BOM), split into lines where the parser counts them, and
encoded back byte-exact. Anything that would not round-trip exactly is refused (None)."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

# The parser ends lines at \r\n, \r and \n only; str.splitlines() also splits at form feeds,
# \x1c-\x1e, \x85 and \u2028, which would shift every AST line number after them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class Source:
    text: str
    encoding: str  # as tokenize.detect_encoding names it ("utf-8-sig" keeps a BOM)

    @classmethod
    def decode(cls, data: bytes) -> Source | None:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError):
            return None
        return cls(text, encoding)

    def lines(self) -> list[str]:
        return _LINE.findall(self.text)

    def encode(self, text: str) -> bytes | None:
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError:
            return None


def after_column(line: str, utf8_offset: int) -> str:
    """What follows an AST column offset (counted in UTF-8 bytes) on a line."""
    return line.encode("utf-8")[utf8_offset:].decode("utf-8", "replace")


def line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :] or "\n"
