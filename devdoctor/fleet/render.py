"""The merged fleet model as text, Markdown, a host list or one self-contained HTML page. Every
string came from another machine's report: control characters are stripped before printing and
everything in HTML is escaped."""

from __future__ import annotations

import html
from typing import Any

from devdoctor.redact import strip_controls

WIDTH = 100


def _clean(text: Any) -> str:
    return strip_controls(str(text)).replace("\n", " ")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _silence_rows(model: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, nodes, why) for reports that are missing, stale, unusable or duplicated."""
    nodes = model["nodes"]
    total = nodes["expected_count"]
    rows = []
    if nodes["missing"]:
        count = len(_members(model, "missing"))
        rows.append(("MISSING", f"{nodes['missing']} ({count}/{total})", "no report"))
    for item in model["stale"]:
        age = f"{item['age_s'] // 60} min old" if item["age_s"] is not None else "undated"
        rows.append(("STALE", item["node"], f"report {age}"))
    for item in model["unusable"]:
        label = "STRAY" if item.get("reported") else "UNUSABLE"  # beside its report, or instead
        rows.append((label, item["node"] or "?", f"{item['source']}: {item['reason']}"))
    for item in model["duplicated"]:
        rows.append(("DUPLICATE", item["node"], f"{len(item['sources'])} reports; newest kept"))
    return rows


def _members(model: dict[str, Any], key: str) -> list[str]:
    from devdoctor.fleet.nodes import expand

    return expand(model["nodes"][key]) if model["nodes"][key] else []


def text(model: dict[str, Any], verbose: bool = False, drift: bool = False) -> str:
    nodes = model["nodes"]
    total = nodes["expected_count"]
    lines = [
        f"{nodes['reported_count']} reports: {nodes['reported'] or 'none'}"
        + (f" (expected {nodes['expected']})" if nodes["expected"] != nodes["reported"] else "")
    ]
    for label, where, why in _silence_rows(model):
        lines.append(_short(_clean(f"{label} on {where}  {why}"), WIDTH * 2))
    passes = []
    for group in model["groups"]:
        head = f"{group['code']} {group['status']}"
        if group["status"] == "pass":
            where = f"all {total}" if group["count"] == total else group["nodes"]
            passes.append(
                f"{head} on {where}"
                + ("" if group["count"] == total else f" ({group['count']}/{total})")
            )
            continue
        where = f"on {group['nodes']} ({group['count']}/{total})"
        lines.append(f"{head} {where}  {group['name']}")
        lines.append("    " + _short(_clean(group["message"]), WIDTH))
        fix = group.get("fix") or {}
        if fix.get("title"):
            lines.append(f"    fix ({fix.get('applicability', '?')}): {_clean(fix['title'])}")
    if verbose or len(passes) <= 3:
        lines.extend(passes)
    else:  # 46 rules x a few nodes: a count, the detail on -v
        everywhere = sum(1 for p in passes if p.endswith(f" on all {total}"))
        said = [f"{everywhere} rules pass on all {total}"] if everywhere else []
        if len(passes) > everywhere:
            said.append(f"{len(passes) - everywhere} pass on some nodes")
        lines.append("; ".join(said) + " (-v lists them)")
    if model["drift"] and not drift:
        facts = ", ".join(d["fact"] for d in model["drift"])
        lines.append(_clean(f"drift in {facts} (--drift shows majority and outliers)"))
    for item in model["drift"] if drift else []:
        parts = [f"{item['majority']['value']} on {item['majority']['nodes']}"]
        parts += [
            f"{o['value'] if o['value'] is not None else 'absent'} on {o['nodes']}"
            for o in item["outliers"]
        ]
        lines.append(_clean(f"DRIFT {item['fact']} " + "; ".join(parts)))
    if model["exclude"]:
        lines.append(f"exclude: --exclude={model['exclude']}")
    return "\n".join(lines) + "\n"


def markdown(model: dict[str, Any], drift: bool = True) -> str:
    nodes = model["nodes"]
    total = nodes["expected_count"]

    def cell(value: Any) -> str:
        return _clean(value).replace("|", "\\|")

    out = [
        f"### devdoctor fleet: {nodes['reported_count']}/{total} nodes reported",
        "",
        "| status | rule | nodes | count | message |",
        "|---|---|---|---|---|",
    ]
    for label, where, why in _silence_rows(model):
        out.append(f"| {label.lower()} | | `{cell(where)}` | | {cell(why)} |")
    for g in model["groups"]:
        message = "" if g["status"] == "pass" else cell(_short(g["message"], 160))
        out.append(
            f"| {g['status']} | {g['code']} `{g['name']}` | `{cell(g['nodes'])}` | "
            f"{g['count']}/{total} | {message} |"
        )
    if model["drift"] and drift:
        out += ["", "**Drift**", ""]
        for item in model["drift"]:
            outs = "; ".join(
                f"`{cell(o['value'])}` on `{cell(o['nodes'])}`" for o in item["outliers"]
            )
            out.append(
                f"- `{cell(item['fact'])}`: `{cell(item['majority']['value'])}` on "
                f"`{cell(item['majority']['nodes'])}`; {outs}"
            )
    if model["exclude"]:
        out += ["", f"Exclude: `--exclude={cell(model['exclude'])}`"]
    return "\n".join(out) + "\n"


def hostlist(model: dict[str, Any]) -> str:
    return (model["exclude"] + "\n") if model["exclude"] else ""


COLOURS = {
    "fail": "#d73a49",
    "error": "#8b0000",
    "warn": "#e3a008",
    "skip": "#9aa5b1",
    "pass": "#2ea44f",
    "missing": "#000000",
}
MAX_GRID_NODES = 512  # beyond this the grid shows only the nodes that are not all-pass


def page(model: dict[str, Any]) -> str:
    """One HTML file, no scripts, no external assets: a node x rule grid coloured by status,
    then the groups, the drift and the exclude line."""
    e = html.escape
    nodes = model["nodes"]
    cells: dict[str, dict[str, str]] = {}
    codes: list[str] = []
    for g in model["groups"]:
        if g["code"] not in codes:
            codes.append(g["code"])
        for node in g["node_list"]:
            cells.setdefault(node, {})[g["code"]] = g["status"]
    silent = {n: "missing" for n in _members(model, "missing")}
    silent.update({n: "missing" for n in _members(model, "stale")})
    silent.update({n: "missing" for n in _members(model, "unusable")})
    everyone = sorted(set(cells) | set(silent))
    if len(everyone) > MAX_GRID_NODES:
        everyone = [n for n in everyone if n in silent or set(cells[n].values()) != {"pass"}]
    codes.sort()
    rows = []
    for node in everyone:
        tds = []
        for code in codes:
            status = silent.get(node) or cells.get(node, {}).get(code, "")
            colour = COLOURS.get(status, "#ffffff")
            title = f"{node} {code}: {status or 'not run'}"
            tds.append(
                f'<td class="s-{e(status or "none")}" style="background:{colour}"'
                f' title="{e(title)}"></td>'
            )
        rows.append(f'<tr data-node="{e(node)}"><th>{e(node)}</th>{"".join(tds)}</tr>')
    head = "".join(f'<th class="code">{e(c)}</th>' for c in codes)
    groups = []
    for g in model["groups"]:
        if g["status"] == "pass":
            continue
        groups.append(
            f'<tr><td style="color:{COLOURS.get(g["status"], "#000")}"><b>{e(g["status"])}</b></td>'
            f"<td>{e(g['code'])} {e(g['name'])}</td>"
            f"<td><code>{e(g['nodes'])}</code> ({g['count']})</td>"
            f"<td>{e(_clean(g['message']))}</td></tr>"
        )
    for label, where, why in _silence_rows(model):
        groups.append(
            f"<tr><td><b>{e(label.lower())}</b></td><td></td><td><code>{e(where)}</code></td><td>{e(_clean(why))}</td></tr>"
        )
    drift = "".join(
        f"<li><code>{e(d['fact'])}</code>: {e(str(d['majority']['value']))} "
        f"on <code>{e(d['majority']['nodes'])}</code>; "
        + "; ".join(f"{e(str(o['value']))} on <code>{e(o['nodes'])}</code>" for o in d["outliers"])
        + "</li>"
        for d in model["drift"]
    )
    exclude = (
        f'<p id="exclude">Exclude: <code>--exclude={e(model["exclude"])}</code></p>'
        if model["exclude"]
        else ""
    )
    legend = "".join(f'<span style="background:{c}">{s}</span>' for s, c in COLOURS.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>devdoctor fleet: {nodes["reported_count"]}/{nodes["expected_count"]} nodes</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; color: #1b1f23; }}
table.grid {{ border-collapse: collapse; }}
table.grid td {{ width: 14px; height: 14px; border: 1px solid #fff; padding: 0; }}
table.grid th {{ font-weight: normal; text-align: right; padding-right: 6px; font-size: 12px; }}
table.grid th.code {{ writing-mode: vertical-rl; text-align: left; padding: 2px 0; }}
table.groups td {{ padding: 2px 8px; vertical-align: top; }}
.legend span {{ display: inline-block; padding: 1px 6px; margin-right: 4px; color: #fff; }}
</style></head><body>
<h1>devdoctor fleet</h1>
<p>{nodes["reported_count"]} of {nodes["expected_count"]} nodes reported
({e(nodes["expected"])}), generated {e(model["generated_at"])}.</p>
<p class="legend">{legend}</p>
<table class="grid" id="grid"><tr><th></th>{head}</tr>
{"".join(rows)}
</table>
<h2>Problems</h2>
<table class="groups" id="groups">{"".join(groups) or "<tr><td>none</td></tr>"}</table>
{f"<h2>Drift</h2><ul id=drift>{drift}</ul>" if drift else ""}
{exclude}
</body></html>
"""
