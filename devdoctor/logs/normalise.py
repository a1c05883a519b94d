"""Text as pasted, back to text as printed: what went through a terminal, an input method, a
translator, a JSON logger or a repr is mapped back before any signature looks at it.

Every step keeps one raw line's text within that line (a line may become several views, all
with the raw line's number) and is linear in its length.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")

# Full-width forms (input methods, CJK fonts) and typographic quotes (word processors,
# translators, chat apps) to the ASCII a program printed; zero-width characters dropped.
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_PUNCTUATION = {
    **_WIDE,
    0x3000: " ",  # ideographic space
    0x00A0: " ",
    0x3001: ",",  # ideographic comma
    0x3002: ".",  # ideographic full stop
    0x2018: "'",
    0x2019: "'",
    0x201A: "'",
    0x201B: "'",
    0x2032: "'",
    0x201C: '"',
    0x201D: '"',
    0x201E: '"',
    0x201F: '"',
    0x2033: '"',
    0x00AB: '"',
    0x00BB: '"',
    0x300C: '"',  # 「 」 quote marks
    0x300D: '"',
    0x2010: "-",
    0x2011: "-",
    0x2013: "-",
    0x2014: "-",
    0x2026: "...",
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0xFEFF: None,
    0x0000: None,
}
TABLE = str.maketrans(_PUNCTUATION)

# JSON and repr escapes: one pass, so `\\n` (an escaped backslash, then n) stays a backslash.
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_INNER_CR = re.compile(r"\r(?=['\":])")
_UNESCAPED = {"n": "\n", "r": "\n", "t": " ", "/": "/", "'": "'", '"': '"', "\\": "\\"}


def _unescape(hit: re.Match[str]) -> str:
    code = hit.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16)).translate(TABLE)
    return _UNESCAPED.get(code, hit.group(0))


def views(raw: bytes) -> list[str]:
    """What a person would read in one raw line: no colour codes, ASCII punctuation, each part
    a carriage return or an escaped newline separates on its own. A line with backslashes keeps
    its literal form too (a Windows path is not an escape)."""
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text:
        text = ANSI.sub("", text)
    text = text.translate(TABLE)
    parts = [text]
    if "\\" in text:
        unescaped = _ESCAPE.sub(_unescape, text)
        if unescaped != text:
            parts = [text, *unescaped.split("\n")]
    out: list[str] = []
    for part in parts:
        out.extend(p for p in part.split("\r") if p.strip())
    if _INNER_CR.search(text):  # a carriage return inside a message (`'bash\r': No such
        out.append(text.replace("\r", "\\r"))  # file`): also as it is printed escaped
    return out


ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def folded(text: str) -> str:
    """Lower case for ASCII letters only: same length, so positions carry over."""
    return text.translate(ASCII_LOWER)
