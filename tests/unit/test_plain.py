"""Output to pipes and logs skips rich: what `plain.py` prints must be what rich prints when the
output is not a terminal, for the markup the renderers build from any text."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape as rich_escape

from devdoctor.cli.plain import escape, render

PIECES = [*"ab [/]\\#@=:x-_.é✓", "[bold]", "[/]", "\\[", "[red]", "[link=x]"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


def rich_plain(markup: str) -> str:
    out = io.StringIO()
    Console(
        file=out, force_terminal=False, color_system=None, highlight=False, emoji=False,
        soft_wrap=True, width=400,
    ).print(markup)  # fmt: skip
    return out.getvalue()[:-1]


@given(TEXT)
def test_escape_is_riches(text: str) -> None:
    assert escape(text) == rich_escape(text)


@given(TEXT)
def test_escaped_text_prints_as_itself(text: str) -> None:
    assert render(escape(text)) == rich_plain(escape(text))


@given(TEXT, TEXT, st.sampled_from(["green", "red", "bold", "dim", "cyan", "yellow"]))
def test_the_renderers_markup_prints_as_rich_prints_it(name: str, message: str, style: str) -> None:
    for markup in (
        f"  [{style}]✓[/] [bold]DD101[/] {escape(name)}: {escape(message)}",
        f"devdoctor 0.1.0 · examining {escape(name)} \\[{escape(message)}]",
        f"      [cyan]fix (safe):[/] {escape(message)}",
        f"        [dim]{escape(name)}:[/] {escape(message)}",
    ):
        assert render(markup) == rich_plain(markup), markup
