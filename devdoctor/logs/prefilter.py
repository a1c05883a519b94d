"""Which hint literals a block of bytes contains, for every signature at once, ignoring ASCII
case: one pass with Hyperscan (Intel's multi-pattern matcher; Vectorscan on ARM), measured at
~3 GB/s with 150 literals against ~0.6 GB/s for RE2 or Rust's Aho-Corasick (`bench/`). Without
its wheel, a pure-Python path does one `bytes.find` per hint: same answers, slower.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def lower(data: bytes) -> bytes:
    return data.translate(_LOWER)


class Hints:
    """`present(data)`: the indexes of the hints found in `data` (each hint lower case)."""

    def __init__(self, hints: Sequence[str], accelerated: bool = True) -> None:
        self.hints = [h.lower().encode() for h in hints]
        self.engine = "python"
        self._db: Any = None
        if not accelerated:
            return
        try:
            import hyperscan
        except ImportError:  # no wheel for this platform
            return
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
        db.compile(
            expressions=[re.escape(h) for h in self.hints],
            ids=list(range(len(self.hints))),
            elements=len(self.hints),
            flags=[flags] * len(self.hints),
        )
        self._db, self.engine = db, "hyperscan"

    def present(self, data: bytes) -> list[int]:
        if not data or not self.hints:
            return []
        if self._db is None:
            low = lower(data)
            return [i for i, h in enumerate(self.hints) if h in low]
        found: list[int] = []
        self._db.scan(data, match_event_handler=_collect, context=found)
        return found


def _collect(hint: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(hint)
