"""The layout's rules, read from the source with ast: imports go one way (cli -> fixes/logs ->
core), the engine has no import cycle, and a rule imports only the rule-author API and its own
family's helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"core": 0, "fixes": 1, "logs": 1, "fleet": 1, "cli": 2}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "rules":
        parts = ["devdoctor", *parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every devdoctor module this file imports, at any depth (lazy imports count too)."""
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {name for name in found if name.startswith("devdoctor")}


ENGINE = sorted((ROOT / "devdoctor").rglob("*.py"))
RULE_FILES = sorted((ROOT / "rules").rglob("*.py"))


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_go_one_way(path: Path) -> None:
    mine = layer(module_name(path))
    if mine is None:
        return
    for name in imports(path):
        theirs = layer(name)
        assert theirs is None or theirs <= mine, f"{module_name(path)} imports {name}"
        if theirs == mine and mine == 1:  # fixes and logs are siblings: neither imports the other
            assert name.split(".")[1] == module_name(path).split(".")[1], name
        assert not name.startswith("devdoctor.rules"), f"{module_name(path)} imports {name}"


def test_the_engine_has_no_import_cycle() -> None:
    graph = {module_name(p): imports(p) for p in ENGINE}
    modules = set(graph)
    edges = {m: {n for n in deps if n in modules and n != m} for m, deps in graph.items()}
    # Package __init__ imports are not edges back (importing devdoctor.core.x runs core/__init__).
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_import_only_the_api_and_their_family(path: Path) -> None:
    family = f"devdoctor.rules.{path.relative_to(ROOT / 'rules').parts[0]}"
    for name in imports(path):
        allowed = name == "devdoctor.api" or name.startswith("devdoctor.api.")
        allowed |= name == family or name.startswith(family + ".")
        assert allowed, f"{module_name(path)} imports {name}"


def test_one_git_runner() -> None:
    """Only core/git.py starts git; everything else goes through it (or GitPython's objects)."""
    import re

    starts_git = re.compile(r"""(Popen|run|call|check_output)\(\s*\[\s*["']git["']|\.git\.\w+\(""")
    starting = [
        str(path.relative_to(ROOT))
        for path in [*ENGINE, *RULE_FILES]
        if path.name != "git.py" and starts_git.search(path.read_text())
    ]
    assert starting == []


def test_the_cheap_block_probe_looks_for_the_real_marker() -> None:
    """persisted_env skips loading the write layer when no file has devdoctor's marker: the
    marker it looks for must be the one the shells module writes."""
    from devdoctor.api import BLOCK_MARKER
    from devdoctor.fixes.shells import BEGIN

    assert BEGIN.encode() == BLOCK_MARKER
