"""Text rendering: rich on a terminal, the same text without rich elsewhere (plain.py). Takes
only models that report.emit has already scrubbed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from devdoctor.cli.plain import PlainConsole, escape, wants_rich

if TYPE_CHECKING:
    from rich.console import Console

ICONS = {
    "pass": ("✓", "green"),
    "warn": ("!", "yellow"),
    "fail": ("✗", "red"),
    "skip": ("?", "blue"),
    "error": ("☠", "magenta"),
}
OUTCOME_STYLE = {
    "fixed": "green",
    "takes effect in a new shell/process": "yellow",
}


def console(stderr: bool = False) -> Console | PlainConsole:
    """On a terminal lines wrap at its width; in logs and pipes they stay whole."""
    if not wants_rich(sys.stderr if stderr else sys.stdout):
        return PlainConsole(stderr)
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)
    out.soft_wrap = not out.is_terminal
    return out


@contextmanager
def spinner(message: str) -> Iterator[Any]:
    """A spinner on stderr while slow rules run; only on a terminal."""
    err = console(stderr=True)
    if isinstance(err, PlainConsole) or not err.is_terminal:
        yield None
        return
    with err.status(message) as status:
        yield status


def _facts(out: Console | PlainConsole, facts: dict[str, Any], indent: str) -> None:
    for key, value in facts.items():
        out.print(f"{indent}[dim]{escape(str(key))}:[/] {escape(_short(value))}")


def _short(value: Any) -> str:
    """A fact as people read it: `a, b` for a list, JSON for nested data, never a Python repr."""
    if isinstance(value, bool) or value is None:
        text = {True: "yes", False: "no", None: "-"}[value]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        text = ", ".join(map(str, value)) or "(none)"
    elif isinstance(value, (list, tuple, dict)):
        import json

        text = json.dumps(value, separators=(", ", ": "))
    else:
        text = str(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _hanging(out: Console | PlainConsole, text: str, first_indent: int, indent: int) -> list[str]:
    """The text cut to the terminal's width, later lines to sit under an indent; as it is
    when the output is not a terminal (logs and pipes keep whole lines)."""
    if not out.is_terminal or first_indent + len(text) <= out.width:
        return [text]
    import textwrap

    first = textwrap.wrap(
        text, max(20, out.width - first_indent), break_on_hyphens=False, break_long_words=False
    )
    rest = textwrap.wrap(" ".join(first[1:]), max(20, out.width - indent), break_on_hyphens=False)
    return [first[0], *rest] if first else [text]


def render_check(model: dict[str, Any], verbose: bool, quiet: bool = False) -> None:
    out = console()
    target = model["target"]
    where = target.get("python") or "no interpreter found"
    version = f" (Python {target['version']})" if target.get("version") else ""
    if not quiet:
        out.print(
            f"devdoctor {model['devdoctor_version']} · examining {escape(where)}{version}"
            f" \\[{escape(target.get('kind', '?'))}]"
        )
    counts: dict[str, int] = {}
    fixes = 0
    category = None
    for result in model["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if quiet and result["status"] == "pass":
            continue
        if result["category"] != category:
            category = result["category"]
            out.print(f"\n[bold]{escape(category)}[/]")
        icon, style = ICONS[result["status"]]
        timing = f" [dim]({result['duration_ms']} ms)[/]" if verbose else ""
        first = result["diagnostics"][0]["message"] if result["diagnostics"] else "ok"
        head = f"  {icon} {result['code']} {result['name']}: "
        lines = _hanging(out, first, len(head), 4)
        out.print(
            f"  [{style}]{icon}[/] [bold]{result['code']}[/] {escape(result['name'])}: "
            f"{escape(lines[0])}{timing}"
        )
        for line in lines[1:]:
            out.print(f"    {line}", markup=False)
        for i, diagnostic in enumerate(result["diagnostics"]):
            if i:
                icon, style = ICONS[diagnostic["status"]]
                out.print(f"      [{style}]{icon}[/] {escape(diagnostic['message'])}")
            if diagnostic["fix"]:
                fixes += 1
                fix = diagnostic["fix"]
                out.print(f"      [cyan]fix ({fix['applicability']}):[/] {escape(fix['title'])}")
            if verbose:
                _facts(out, diagnostic["facts"], "        ")
    for note in model.get("notes", []):
        out.print(f"\n[yellow]note:[/] {escape(note)}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no rules ran"
    next_step = model.get("next")
    plural = "es" if fixes != 1 else ""
    hint = f" · `{escape(next_step)}` previews {fixes} fix{plural}" if next_step else ""
    out.print(f"\n{summary}{hint}")


def render_markdown(model: dict[str, Any]) -> None:
    """`check --format markdown`: the environment and every verdict, for an issue tracker."""
    target = model["target"]

    def cell(text: Any) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        f"### devdoctor {model['devdoctor_version']} report",
        "",
        "| | |",
        "|---|---|",
    ]
    for key in (
        "python",
        "kind",
        "version",
        "implementation",
        "platform",
        "machine",
        "glibc",
        "prefix",
        "distributions",
    ):
        if target.get(key) is not None:
            lines.append(f"| {key} | {cell(target[key])} |")
    if target.get("error"):
        lines.append(f"| error | {cell(target['error'])} |")
    lines += ["", "| rule | status | finding | fix |", "|---|---|---|---|"]
    for result in model["results"]:
        for diagnostic in result["diagnostics"] or [{"message": "", "fix": None}]:
            icon = ICONS[result["status"]][0]
            fix = diagnostic["fix"]
            fix_text = f"{fix['title']} ({fix['applicability']})" if fix else ""
            lines.append(
                f"| {result['code']} {result['name']} | {icon} {result['status']} "
                f"| {cell(diagnostic['message'])} | {cell(fix_text)} |"
            )
    lines += [f"\n> {cell(note)}" for note in model.get("notes", [])]
    print("\n".join(lines))


def render_hook(model: dict[str, Any]) -> None:
    """Failures only, each with its remedy inline; silence when all is well."""
    out = console()
    for result in model["results"]:
        if result["status"] not in ("fail", "error"):
            continue
        for diagnostic in result["diagnostics"]:
            if diagnostic["status"] not in ("fail", "error"):
                continue
            icon, style = ICONS[diagnostic["status"]]
            out.print(
                f"[{style}]{icon}[/] [bold]{result['code']}[/] {escape(result['name'])}: "
                f"{escape(diagnostic['message'])}"
            )
            fix = diagnostic["fix"] or {}
            remedy = fix.get("instructions") or fix.get("title")
            for line in (remedy or "").splitlines():
                out.print(f"    {line}", markup=False)


def render_plan(model: dict[str, Any]) -> None:
    out = console()
    for p in model["fixes"]:
        out.print(f"[bold]{p['code']}[/] {escape(p['name'])}: {escape(p['message'])}")
        out.print(f"  [cyan]fix ({p['applicability']}):[/] {escape(p['title'])}")
        if p["where"]:
            out.print(f"  persist in {escape(p['where'])}")
        for change in p["changes"]:
            out.print(f"  [yellow]{escape(change)}[/]")
        for edit in p["edits"]:
            if edit.get("kind") == "file" and not model.get("show_diff"):
                added, removed = _changed_lines(edit["preview"])
                out.print(f"  [dim]{escape(edit['describe'])}[/] (+{added} -{removed} lines)")
                continue
            out.print(f"  [dim]{escape(edit['describe'])}[/]")
            _diff(out, edit["preview"])
        for line in p["instructions"].splitlines():
            out.print(f"  {line}", markup=False)
        for alt in p["alternatives"]:
            out.print(
                f"  [dim]alternative {alt['index']} ({alt['applicability']}): "
                f"{escape(alt['title'])} -- `devdoctor fix {p['code']} "
                f"--alternative {alt['index']}`[/]"
            )
    for line in model["footer"]:
        out.print(line, markup=False)


def _changed_lines(diff: str) -> tuple[int, int]:
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return added, removed


def _diff(out: Console | PlainConsole, diff: str) -> None:
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        out.print(f"    {line}", style=style, markup=False)


def render_applied(model: dict[str, Any]) -> None:
    out = console()
    for a in model["applied"]:
        style = OUTCOME_STYLE.get(a["outcome"], "red")
        out.print(f"[bold]{a['code']}[/] {escape(a['title'])}: [{style}]{escape(a['outcome'])}[/]")
        for edit in a["edits"] if a["outcome"] != "failed, nothing changed" else []:
            out.print(f"  [dim]{escape(edit['describe'])}[/]")
        if a["detail"]:
            out.print(f"  {escape(a['detail'])}")
    for line in model["footer"]:
        out.print(line, markup=False)


def render_page(model: dict[str, Any]) -> None:
    """A rule's page: Markdown rendered on a terminal, the Markdown itself when piped."""
    out = console()
    if out.is_terminal:
        from rich.markdown import Markdown

        out.print(Markdown(model["page"]))
    else:
        out.print(model["page"], markup=False, end="")


def render_lines(model: dict[str, Any]) -> None:
    out = console()
    for line in model["lines"]:
        out.print(line, markup=False)


def render_diagnose(model: dict[str, Any], stderr: bool = False) -> None:
    out = console(stderr=stderr)
    if not model["matches"]:
        out.print("No known problem found.")
        return
    for m in model["matches"]:
        times = f" ({m['count']} times)" if m["count"] > 1 else ""
        certain = m.get("certainty", "certain") == "certain"
        mark = "[red]✗[/]" if certain else "[yellow]?[/]"
        maybe = "" if certain else "[yellow]possibly[/] "
        out.print(f"{mark} [bold]{m['code']}[/] {escape(m['name'])}: {maybe}{escape(m['message'])}")
        out.print(f"    [dim]first seen at {escape(m['where'])}{times}[/]")
        _facts(out, m["facts"], "    ")
        if m.get("to_tell"):
            out.print(f"    to tell: {m['to_tell']}", markup=False)
        if m.get("related"):
            names = ", ".join(f"{r['code']} {r['name']}" for r in m["related"])
            out.print(f"    [dim]in the same incident: {escape(names)}[/]")
        if m["fix"]:
            out.print(
                f"    [cyan]fix ({m['fix']['applicability']}):[/] {escape(m['fix']['title'])}"
            )
        if m.get("environment"):
            out.print(f"    for the environment {m['environment']}", markup=False)
        if m.get("fix_command"):
            out.print(f"    {m['fix_command']}", markup=False)


FIX_LABEL = {"always": "fix", "sometimes": "fix?", "never": ""}


def render_rules(model: dict[str, Any]) -> None:
    """Rules grouped by family; the fix column says whether devdoctor can apply a fix always
    (`fix`), sometimes (`fix?`) or never (blank: advice only)."""
    out = console()
    category = None
    for r in model["rules"]:
        if r["category"] != category:
            if category is not None:
                out.print()
            category = r["category"]
            out.print(f"[bold]{escape(category)}[/]")
        fix = FIX_LABEL.get(r.get("fix_availability", ""), "")
        out.print(
            f"  {r['code']}  {r['name']:<34} {r['scope']:<12} {fix:<4}  {r['summary']}",
            markup=False,
        )
    for b in model["broken_plugins"]:
        out.print(f"[magenta]broken plugin[/] {escape(b['name'])}: {escape(b['reason'])}")
