"""Output for pipes, logs and CI, where rich would only strip its own markup again: the same
text rich prints when the output is not a terminal, without importing rich (~15-25 ms of a
~140 ms check). A test renders every report both ways and compares them."""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

# rich.markup's own patterns: a tag is `[` + a letter, `#`, `/` or `@` ... `]`, and backslashes
# before it escape it (an odd count) or are themselves escaped (halved).
_TAG = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")
_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def escape(markup: str) -> str:
    """rich.markup.escape, exactly."""

    def escape_backslashes(match: re.Match[str]) -> str:
        backslashes, text = match.groups()
        return f"{backslashes}{backslashes}\\{text}"

    markup = _ESCAPE.sub(escape_backslashes, markup)
    if markup.endswith("\\") and not markup.endswith("\\\\"):
        return markup + "\\"
    return markup


def render(markup: str) -> str:
    """Markup as rich shows it without styles (rich.markup.render's text): tags dropped,
    escaped tags kept as text, `\\[` outside a tag shown as `[`."""
    if "[" not in markup:
        return markup
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        escapes, tag = match.groups()
        start, end = match.span()
        if start > position:
            out.append(markup[position:start].replace("\\[", "["))
        backslashes, escaped = divmod(len(escapes), 2)
        out.append("\\" * backslashes)
        if escaped:
            out.append(f"[{tag}]")
        position = end
    if position < len(markup):
        out.append(markup[position:].replace("\\[", "["))
    return "".join(out)


class PlainConsole:
    """The part of rich.console.Console that the renderers use, for a non-terminal."""

    is_terminal = False
    width = 80

    def __init__(self, stderr: bool = False) -> None:
        self.file: TextIO = sys.stderr if stderr else sys.stdout

    def print(
        self, *objects: Any, markup: bool = True, end: str = "\n", style: str | None = None
    ) -> None:
        text = " ".join(str(o) for o in objects)
        self.file.write((render(text) if markup else text) + end)


def wants_rich(stream: TextIO) -> bool:
    """A terminal, or colour forced (rich's FORCE_COLOR / TTY_COMPATIBLE)."""
    import os

    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
