"""Recognise known problems in error output: files, stdin or .gz, read once as a stream.

Logs can be gigabytes of progress bars, ANSI colours and binary junk with 100 MB lines. So the
input is read in 1 MiB chunks and every signature's hints are looked for at once (prefilter.py).
Only around a line with a hint is text decoded and normalised (normalise.py), cut to its
incident (incidents.py) and matched, each pattern exactly where its hint starts. Memory stays
bounded (a window of context around a hit; a line longer than MAX_LINE is matched in windows
keeping OVERLAP bytes of context) and matching stays linear in the input.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from devdoctor.core.rule import Rule, Signature
from devdoctor.logs import incidents
from devdoctor.logs.normalise import folded, views
from devdoctor.logs.prefilter import Hints, lower

CHUNK = 1 << 20
MAX_LINE = 1 << 20  # longer lines are matched in windows
OVERLAP = 8192  # context kept across a window boundary
BEFORE_MAX = 4096
BEFORE_LINES, AFTER_LINES = 100, 40  # the window an incident is looked for in
CONTEXT_BYTES = 32 << 10  # on each side of a hit
CONTEXT_LINE = 4096  # a longer line in the window is clipped (the hit line is not)
ATTEMPTS = 32  # per hint and line: a hint repeated 100k times costs no more than 32
WRAPPED = 60  # a line this long may go on in the next one (wrapped at the terminal width)
PATH_CHARS = re.compile(r"[^\s'\"`:,()<>|]")


@dataclass
class Match:
    rule: Rule
    signature: Signature
    facts: dict[str, str]
    source: str
    first_line: int
    count: int = 1
    related: list[Rule] = field(default_factory=list)  # other rules in the same incidents

    @property
    def certain(self) -> bool:
        return self.signature.certain

    @property
    def message(self) -> str:
        return _format(self.signature.message, self.facts)

    @property
    def to_tell(self) -> str:
        return _format(self.signature.to_tell, self.facts)


def _format(template: str, facts: dict[str, str]) -> str:
    try:
        return template.format(**facts)
    except (KeyError, IndexError, ValueError):
        return template


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
        self.before = re.compile(signature.before_pattern) if signature.before_pattern else None
        flags = signature.flags
        self.context = re.compile(signature.context, flags) if signature.context else None
        self.unless = re.compile(signature.unless, flags) if signature.unless else None
        # Strongest first: says what it is by itself; needs its incident; only probably.
        self.rank = (2 if signature.certain else 0) + (0 if signature.context else 1)

    def match_at(self, text: str, pos: int) -> dict[str, str] | None:
        hit = self.regex.match(text, pos)
        if not hit:
            return None
        if self.unless and self.unless.search(text, max(0, pos - BEFORE_MAX), hit.end() + 2048):
            return None
        facts = {k: v for k, v in hit.groupdict().items() if v is not None}
        if self.signature.before:
            token = token_before(text, pos)
            if token and (self.before is None or self.before.fullmatch(token)):
                facts[self.signature.before] = token
            elif self.signature.before_required:
                return None
        if self.signature.accept is not None and not self.signature.accept(facts):
            return None
        return facts


@dataclass
class _Candidate:
    sig: _Compiled
    facts: dict[str, str]
    line: int


class Scanner:
    """Feeds streams; collects each distinct problem once with its first place."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.signatures = [_Compiled(r, s) for r in rules for s in r.signatures]
        texts: list[str] = []
        self.by_hint: list[list[_Compiled]] = []
        for sig in self.signatures:
            for hint in sig.signature.hints:
                key = hint.lower()
                if key not in texts:
                    texts.append(key)
                    self.by_hint.append([])
                self.by_hint[texts.index(key)].append(sig)
        self.hint_texts = texts
        self.hints = Hints(texts)
        self.longest = max((len(h) for h in texts), default=1)
        self.found: dict[tuple[str, tuple[tuple[str, str], ...]], Match] = {}
        self._decoded: dict[tuple[int, bool], list[str]] = {}  # views by offset, while in reach

    # --- reading ------------------------------------------------------------------------------

    def scan(self, source: str, stream: IO[bytes]) -> None:
        self._decoded = {}
        buf = b""
        base, base_line = 0, 1  # the offset and line number of buf[0]
        scanned = 0  # complete lines before this offset were looked through for hints
        pending: deque[int] = deque()  # offsets of lines with hints, waiting for context
        done = 0  # incidents were matched up to here
        final = False
        while not final:
            chunk = stream.read(CHUNK)
            final = not chunk
            buf += chunk
            end = base + (len(buf) if final else buf.rfind(b"\n") + 1)
            if end <= scanned and not final:  # one line still going on
                if base + len(buf) - scanned > MAX_LINE:
                    base_line += buf.count(b"\n", 0, scanned - base)
                    buf, base, scanned = self._window(source, buf, base, scanned, base_line)
                continue
            if end > scanned:
                pending.extend(self._hit_lines(buf[scanned - base : end - base], scanned))
                scanned = end
            counter = _LineCounter(buf, base, base_line)
            while pending and (final or _ready(buf, base, pending[0], end)):
                start = pending.popleft()
                if start >= done:
                    done = self._incident(source, buf, base, start, end, counter)
            # Keep what later incidents may need as context, from a line start.
            keep = min(pending[0] if pending else scanned, scanned) - CONTEXT_BYTES
            newline = buf.find(b"\n", keep - base) if keep > base else -1
            if newline >= 0:
                base_line = counter.line_of(base + newline + 1)
                buf, base = buf[newline + 1 :], base + newline + 1
                self._decoded = {k: v for k, v in self._decoded.items() if k[0] >= base}

    def _window(
        self, source: str, buf: bytes, base: int, scanned: int, line_no: int
    ) -> tuple[bytes, int, int]:
        """Match the next window of a line longer than MAX_LINE on its own, with OVERLAP bytes
        of what came before; keep only those for the next window."""
        cut = base + len(buf) - OVERLAP
        new = buf[max(0, scanned - base - self.longest) : cut - base]
        if self.hints.present(new):
            window = buf[max(0, scanned - base - OVERLAP) : cut - base]
            self._match_views(source, [(line_no, v) for v in views(window)], 0, 0)
        return buf[cut - base - OVERLAP :], cut - OVERLAP, cut

    def _hit_lines(self, block: bytes, offset: int) -> list[int]:
        """Offsets of the lines in `block` that contain any hint, in order."""
        present = self.hints.present(block)
        if not present:
            return []
        low = lower(block)
        starts: set[int] = set()
        for index in present:
            hint = self.hint_texts[index].encode()
            pos = low.find(hint)
            while pos >= 0:
                starts.add(low.rfind(b"\n", 0, pos) + 1)
                line_end = low.find(b"\n", pos)
                pos = low.find(hint, line_end) if line_end >= 0 else -1
        return [offset + s for s in sorted(starts)]

    def _incident(
        self, source: str, buf: bytes, base: int, start: int, end: int, counter: _LineCounter
    ) -> int:
        """Match the incident around the line at `start`; returns where it ends."""
        at, stop = start - base, end - base
        # Only a traceback reaches far back; elsewhere the incident is a few lines around.
        before, after = incidents.NEAR, incidents.NEAR
        if buf.find(b"Traceback", max(0, at - CONTEXT_BYTES), at + 1) >= 0:
            before, after = BEFORE_LINES, AFTER_LINES
        lo, lines = at, 0
        while lo > 0 and lines < before and at - lo < CONTEXT_BYTES:
            lo = buf.rfind(b"\n", 0, lo - 1) + 1
            lines += 1
        hit_end = buf.find(b"\n", at, stop)
        hi = hit_end = stop if hit_end < 0 else hit_end + 1
        lines = 0
        while hi < stop and lines < after and hi - hit_end < CONTEXT_BYTES:
            hi = (buf.find(b"\n", hi, stop) + 1) or stop
            lines += 1
        number = counter.line_of(base + lo)
        window: list[tuple[int, str]] = []
        ends: list[int] = []  # the offset after each view's raw line
        hit_index = 0
        offset = base + lo
        while offset < base + hi:
            after_line = (buf.find(b"\n", offset - base, hi) + 1) or hi
            after_line += base
            whole = offset <= start < after_line  # the hit's line; context lines are clipped
            if whole:
                hit_index = len(window)
            decoded = self._decoded.get((offset, whole))
            if decoded is None:
                raw = buf[offset - base : after_line - base].rstrip(b"\n")
                decoded = views(raw if whole else raw[:CONTEXT_LINE]) or [""]
                self._decoded[offset, whole] = decoded
            window += [(number, view) for view in decoded]
            ends += [after_line] * len(decoded)
            offset, number = after_line, number + 1
        s, e = incidents.bounds([v for _, v in window], hit_index)
        self._match_views(source, window, s, e, ends, start)
        return max(ends[e - 1], base + hit_end) if e else base + hit_end

    # --- matching -----------------------------------------------------------------------------

    def _match_views(
        self,
        source: str,
        window: list[tuple[int, str]],
        s: int,
        e: int,
        ends: list[int] | None = None,
        not_before: int = 0,
    ) -> None:
        """Find the signatures in window[s:e] (all of it when e is 0) and record the strongest
        per rule: one incident, one finding, the others related."""
        if not e:
            s, e = 0, len(window)
        text = "\n".join(v for _, v in window[s:e])
        present = self.hints.present(text.encode("utf-8", "replace"))
        if not present:
            return
        found: list[_Candidate] = []
        contexts: dict[str, bool] = {}
        for i in range(s, e):
            if ends is not None and ends[i] <= not_before:
                continue  # before the hit: its hints were matched by earlier incidents
            number, line = window[i]
            following = window[i + 1][1] if i + 1 < e and len(line) >= WRAPPED else ""
            for sig, facts in self._line_matches(line, following, present):
                if sig.context is not None:
                    if sig.signature.context not in contexts:
                        contexts[sig.signature.context] = bool(sig.context.search(text))
                    if not contexts[sig.signature.context]:
                        continue
                found.append(_Candidate(sig, facts, number))
        self._record(source, found)

    def _line_matches(
        self, line: str, following: str, present: list[int]
    ) -> Iterator[tuple[_Compiled, dict[str, str]]]:
        """Signatures matched where their hints start in `line`; a long line is tried joined
        with the next too (a message wrapped at the terminal width, with or without the space)."""
        joined = line + following
        low = folded(joined)
        for index in present:
            hint = self.hint_texts[index]
            pos, tries = low.find(hint), 0
            while 0 <= pos < len(line) and tries < ATTEMPTS:
                for sig in self.by_hint[index]:
                    facts = sig.match_at(line, pos) if pos + len(hint) <= len(line) else None
                    if facts is None and following:
                        facts = sig.match_at(joined, pos)
                        if facts is None:
                            facts = sig.match_at(line + " " + following, pos)
                    if facts is not None:
                        yield sig, facts
                pos, tries = low.find(hint, pos + 1), tries + 1

    def _record(self, source: str, found: list[_Candidate]) -> None:
        if not found:
            return
        found.sort(key=lambda c: (-c.sig.rank, c.line))
        best: dict[str, _Candidate] = {}
        for c in found:
            best.setdefault(c.sig.rule.code, c)
        top = found[0]
        # The strongest finding speaks for the incident; another rule's match that is as
        # strong (says what it is by itself) is a problem of its own, the rest are related.
        kept = [c for c in best.values() if c is top or c.sig.rank == top.sig.rank == 3]
        rules = [c.sig.rule for c in best.values()]
        for c in kept:
            key = (c.sig.rule.code, tuple(sorted(c.facts.items())))
            match = self.found.get(key)
            if match is None:
                match = self.found[key] = Match(
                    c.sig.rule, c.sig.signature, c.facts, source, c.line
                )
            else:
                match.count += 1
            for rule in rules:
                if rule is not c.sig.rule and rule not in match.related:
                    match.related.append(rule)

    def matches(self) -> list[Match]:
        return sorted(self.found.values(), key=lambda m: (m.source, m.first_line))


class _LineCounter:
    """Line numbers of offsets, mostly asked for in increasing order: each byte counted once."""

    def __init__(self, buf: bytes, base: int, base_line: int) -> None:
        self.buf, self.base, self.base_line = buf, base, base_line
        self.at, self.line = base, base_line

    def line_of(self, offset: int) -> int:
        if offset < self.at:  # asked out of order: count from the start again
            self.at, self.line = self.base, self.base_line
        self.line += self.buf.count(b"\n", self.at - self.base, offset - self.base)
        self.at = offset
        return self.line


def _ready(buf: bytes, base: int, start: int, end: int) -> bool:
    """The context after the line at `start` has been read."""
    if end - start >= 2 * CONTEXT_BYTES:
        return True
    return buf.count(b"\n", start - base, end - base) > AFTER_LINES


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
