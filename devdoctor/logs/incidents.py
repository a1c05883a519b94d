"""Where one error's text begins and ends around a line: a traceback with its chained causes, a
log block with its `Caused by` tail. Signatures that need context look for it only there.

Blank lines and separator rules end a block, except around the phrases that chain one error to
the next; a new `Traceback (most recent call last):` starts one unless a chain phrase leads to
it. The caller's window bounds it (lines and bytes), so memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CHAIN = re.compile(
    r"\s{0,40}(?:During handling of the above exception|The above exception was the direct cause|"
    r"Caused by|Traceback \(most recent call last\)|Stack backtrace)",
    re.IGNORECASE,
)
TRACEBACK = re.compile(r"\s{0,40}Traceback \(most recent call last\)")
SEPARATOR = re.compile(r"\s{0,40}(?:[=_*#~-]\s?){8,}\s{0,40}$|\s{0,8}(?:\$|>>>|PS [A-Z]:\\)\s")


def _blank(line: str) -> bool:
    return not line.strip()


def _chains(line: str) -> bool:
    return bool(CHAIN.match(line))


NEAR = 8  # outside a traceback, context counts only this many lines away


def bounds(lines: Sequence[str], hit: int) -> tuple[int, int]:
    """[start, end) of the incident holding lines[hit]: its traceback, or outside one the lines
    of its block at most NEAR away (a long log without blank lines is not one incident)."""
    start, end = _block(lines, hit)
    if any(TRACEBACK.match(line) for line in lines[start : hit + 1]):
        return start, end
    return max(start, hit - NEAR), min(end, hit + NEAR + 1)


def _block(lines: Sequence[str], hit: int) -> tuple[int, int]:
    start = hit
    while start > 0:
        above = lines[start - 1]
        if SEPARATOR.match(above):
            break
        if TRACEBACK.match(lines[start]) and not _chained_above(lines, start):
            break
        if _blank(above) and not (_chains(lines[start]) or _chained_above(lines, start)):
            break
        start -= 1
    end = hit + 1
    while end < len(lines):
        line = lines[end]
        if SEPARATOR.match(line):
            break
        if TRACEBACK.match(line) and not _chained_above(lines, end):
            break
        if _blank(line):
            following = next((x for x in lines[end + 1 :] if not _blank(x)), "")
            if not _chains(following):
                break
        end += 1
    return start, end


def _chained_above(lines: Sequence[str], index: int) -> bool:
    """A chain phrase is the nearest non-blank line above `index`."""
    for line in reversed(lines[max(0, index - 3) : index]):
        if not _blank(line):
            return bool(CHAIN.match(line)) and not TRACEBACK.match(line)
    return False
