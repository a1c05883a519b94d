"""Recognise known problems in error output: files, stdin or .gz, read once as a stream.

Logs can be gigabytes of progress bars, ANSI colours and binary junk with 100 MB lines. So the
input is read in 1 MiB chunks of bytes and searched for each signature's hint literal at C speed;
only lines around a hit are decoded, cleaned and matched, each pattern exactly where its hint
starts. Memory stays bounded (a line longer than MAX_LINE keeps only its last OVERLAP bytes as
context) and matching stays linear in the input.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from devdoctor.core.rule import Rule, Signature

CHUNK = 1 << 20
MAX_LINE = 1 << 20  # longer lines are matched in windows
OVERLAP = 8192  # context kept across a window boundary
BEFORE_MAX = 4096
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
PATH_CHARS = re.compile(r"[^\s'\"`:,()<>|]")


@dataclass
class Match:
    rule: Rule
    signature: Signature
    facts: dict[str, str]
    source: str
    first_line: int
    count: int = 1

    @property
    def message(self) -> str:
        try:
            return self.signature.message.format(**self.facts)
        except (KeyError, IndexError, ValueError):
            return self.signature.message


def clean(text: str) -> str:
    """What a person would have seen: no colour codes, no NULs."""
    return ANSI.sub("", text).replace("\0", "")


def token_before(text: str, end: int) -> str:
    """The path-like token that ends just before `end` (skipping `: `, quotes, a backslash)."""
    pos = end
    while pos > 0 and text[pos - 1] in " \t:'\"\\":
        pos -= 1
    start = pos
    limit = max(0, pos - BEFORE_MAX)
    while start > limit and PATH_CHARS.match(text[start - 1]):
        start -= 1
    return text[start:pos]


class _Compiled:
    def __init__(self, rule: Rule, signature: Signature) -> None:
        self.rule, self.signature = rule, signature
        self.regex = signature.compiled()
        self.hint = signature.hint
        self.hint_bytes = signature.hint.encode()
        self.before = re.compile(signature.before_pattern) if signature.before_pattern else None

    def find(self, line: str) -> Iterator[dict[str, str]]:
        pos = line.find(self.hint)
        while pos >= 0:
            hit = self.regex.match(line, pos)
            if hit:
                facts = {k: v for k, v in hit.groupdict().items() if v is not None}
                if self.signature.before:
                    token = token_before(line, pos)
                    if not token or (self.before and not self.before.fullmatch(token)):
                        pos = line.find(self.hint, pos + 1)
                        continue
                    facts[self.signature.before] = token
                yield facts
                pos = line.find(self.hint, max(hit.end(), pos + 1))
            else:
                pos = line.find(self.hint, pos + 1)


class Scanner:
    """Feeds chunks of bytes; collects each distinct problem once with its first place."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.signatures = [_Compiled(r, s) for r in rules for s in r.signatures]
        self.found: dict[tuple[str, tuple[tuple[str, str], ...]], Match] = {}

    def _match_line(self, raw: bytes, source: str, number: int) -> None:
        line = clean(raw.decode("utf-8", "replace"))
        for sig in self.signatures:
            if sig.hint not in line:
                continue
            for facts in sig.find(line):
                key = (sig.rule.code, tuple(sorted(facts.items())))
                if key in self.found:
                    self.found[key].count += 1
                else:
                    self.found[key] = Match(sig.rule, sig.signature, facts, source, number)

    def scan(self, source: str, stream: IO[bytes]) -> None:
        hints = [s.hint_bytes for s in self.signatures]
        carry = b""  # the unfinished last line of the previous chunk
        line_no = 1  # the number of the line `carry` starts
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"\n") + 1  # complete lines end here
            if cut == 0 and len(data) > MAX_LINE:
                cut = len(data) - OVERLAP  # a huge line: match this window, keep some context
                self._scan_block(data[:cut], source, line_no, hints)
                carry = data[cut:]
                continue
            self._scan_block(data[:cut], source, line_no, hints)
            line_no += data.count(b"\n", 0, cut)
            carry = data[cut:]
        if carry:
            self._scan_block(carry, source, line_no, hints)

    def _scan_block(self, block: bytes, source: str, line_no: int, hints: list[bytes]) -> None:
        """Match the lines of `block` that contain any hint (found with bytes.find)."""
        seen_lines: set[int] = set()
        counted_to, counted = 0, 0
        for hint in hints:
            pos = block.find(hint)
            while pos >= 0:
                start = block.rfind(b"\n", 0, pos) + 1
                end = block.find(b"\n", pos)
                end = len(block) if end < 0 else end
                if start not in seen_lines:
                    seen_lines.add(start)
                    if start < counted_to:
                        counted_to, counted = 0, 0
                    counted += block.count(b"\n", counted_to, start)
                    counted_to = start
                    self._match_line(block[start:end], source, line_no + counted)
                pos = block.find(hint, end + 1) if end < len(block) else -1

    def matches(self) -> list[Match]:
        return sorted(self.found.values(), key=lambda m: (m.source, m.first_line))


class _Gunzip(io.RawIOBase):
    """gzip decoded as it is read, keeping what a truncated or damaged file still gives (gzip's
    own reader drops the last block with the error). `damaged` says why it stopped early."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.pending = b""
        self.damaged = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            if self.inflate.eof:  # a member ended: another may follow
                rest = self.inflate.unused_data
                self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest or self.raw.read(1 << 16)
                if not data:
                    return 0
            else:
                data = self.raw.read(1 << 16)
                if not data:
                    self.damaged = "it ends early"
                    return 0
            try:
                self.pending = self.inflate.decompress(data)
            except zlib.error as exc:
                self.damaged = str(exc)
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def open_stream(name: str, raw: IO[bytes]) -> IO[bytes]:
    """gzip is recognised by its magic bytes, whatever the file is called (a `.gz` that is not
    gzip is read as the text it is)."""
    peek = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if peek == b"\x1f\x8b":
        return io.BufferedReader(_Gunzip(raw))
    return raw


def scan(
    sources: Iterable[tuple[str, IO[bytes]]],
    rules: Sequence[Rule],
    warnings: list[str] | None = None,
) -> list[Match]:
    """Known problems in every source. A gzip file that ends early or is damaged is read as
    far as it goes (what was read still counts), with a warning."""
    scanner = Scanner(rules)
    for name, stream in sources:
        opened = open_stream(name, stream)
        scanner.scan(name, opened)
        gunzip = getattr(opened, "raw", None)
        if isinstance(gunzip, _Gunzip) and gunzip.damaged and warnings is not None:
            warnings.append(f"{name}: gzip data stops early ({gunzip.damaged}); read so far")
    return scanner.matches()


def scan_lines(lines: Iterable[str], rules: Sequence[Rule], source: str = "<text>") -> list[Match]:
    """For text already in memory (the tail of `devdoctor run`)."""
    import io

    data = "\n".join(lines).encode("utf-8", "replace")
    return scan([(source, io.BufferedReader(io.BytesIO(data)))], rules)
