"""`HF_ENDPOINT` assigned in code after huggingface_hub (or a library using it) was imported.

## What it does

Parses the project's Python files (the git-tracked `*.py` of the repository you stand in, else
those of the nearest `pyproject.toml` project; anywhere else it skips: never a whole tree) with
`ast`, and finds an assignment to `HF_ENDPOINT` —
`os.environ["HF_ENDPOINT"] = ...`, `os.environ.setdefault(...)`, `os.environ.update(...)`,
`os.putenv(...)` — that runs after an `import` of huggingface_hub, transformers, datasets,
diffusers, sentence_transformers, peft or timm in the same module. Only files that mention
`HF_ENDPOINT` are parsed, so it is fast enough for a git hook.

## Why is this bad?

huggingface_hub reads `HF_ENDPOINT` once, when it is first imported
(`constants.ENDPOINT = os.getenv("HF_ENDPOINT", ...)`), and those libraries import it. An
assignment after the import has no effect: requests still go to huggingface.co (measured on
huggingface_hub 0.24 to 2.4).

## Example

```python
import os
from transformers import AutoModel
os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"  # too late: never read
```
```
$ devdoctor check hf-endpoint-set-after-import
  ✗ DD204 hf-endpoint-set-after-import: train.py:3: HF_ENDPOINT is set after `import
    transformers` (line 2), so huggingface_hub never sees it
```

## Fix

Move the assignment above the first of those imports (adding `import os` there if needed), when
that is safe: the assignment is a top-level statement on its own lines whose value is a literal,
and the import is top-level too. Otherwise the fix only says what to do.

## Fix safety

Safe when offered as an edit: the statement moves unchanged, nothing else in the file changes,
and `devdoctor undo` restores the file byte for byte. Display-only otherwise.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    FileEdit,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
    git,
)

from ._pysource import Source, after_column, line_ending

HUB_MODULES = {
    "huggingface_hub",
    "transformers",
    "datasets",
    "diffusers",
    "sentence_transformers",
    "peft",
    "timm",
}
VAR = "HF_ENDPOINT"
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "site-packages",
    "__pycache__",
    "build",
    "dist",
}
MAX_FILES = 20000


def project_root(ctx: Context) -> Path | None:
    """The one project a fix may edit: the repository you stand in, else the nearest folder
    with a pyproject.toml. None elsewhere (your home, /): never a whole tree."""
    repo = ctx.repo()
    if repo is not None:
        return repo.work_tree
    return next((f for f in (ctx.cwd, *ctx.cwd.parents) if (f / "pyproject.toml").is_file()), None)


def python_files(ctx: Context, root: Path) -> list[Path]:
    repo = ctx.repo()
    if repo is not None and repo.work_tree == root:
        try:
            out = git.run_bytes(root, "ls-files", "-z", "--", "*.py")
        except git.GitError:
            pass  # not a repository git can read: walk the folder instead
        else:
            return [root / os.fsdecode(name) for name in out.split(b"\0") if name]
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        found.extend(Path(folder, f) for f in files if f.endswith(".py"))
        if len(found) > MAX_FILES:
            break
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run when the module is imported, in order (not function bodies)."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for block in ("body", "orelse", "finalbody"):
                yield from _statements(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                yield from _statements(handler.body)


def _hub_import(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    else:
        return None
    return next((n for n in names if n.split(".")[0] in HUB_MODULES), None)


def _is_environ(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ) or (isinstance(node, ast.Name) and node.id == "environ")


def _is_var(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == VAR


def _sets_endpoint(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(t, ast.Subscript) and _is_environ(t.value) and _is_var(t.slice)
            for t in targets
        )
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    call, func = node.value, node.value.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "setdefault" and _is_environ(func.value):
        return bool(call.args) and _is_var(call.args[0])
    if func.attr == "putenv" and isinstance(func.value, ast.Name) and func.value.id == "os":
        return bool(call.args) and _is_var(call.args[0])
    if func.attr == "update" and _is_environ(func.value):
        in_dict = any(
            isinstance(a, ast.Dict) and any(_is_var(k) for k in a.keys) for a in call.args
        )
        return in_dict or any(k.arg == VAR for k in call.keywords)
    return False


def _literal(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Dict):
        return all(_literal(k) and _literal(v) for k, v in zip(node.keys, node.values, strict=True))
    return isinstance(node, ast.Constant)


def _literal_only(node: ast.stmt) -> bool:
    """The assigned value is a literal: moving the statement cannot change what it computes."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return _literal(node.value)
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and all(_literal(a) for a in call.args)
        and all(_literal(k.value) for k in call.keywords)
    )


@dataclass(frozen=True)
class Finding:
    path: Path
    first_import: ast.stmt
    module: str
    late: list[ast.stmt]


def find(path: Path, tree: ast.Module) -> Finding | None:
    first: tuple[ast.stmt, str] | None = None
    late: list[ast.stmt] = []
    for node in _statements(tree.body):
        module = _hub_import(node)
        if module and first is None:
            first = (node, module)
        elif first is not None and _sets_endpoint(node):
            late.append(node)
    if first is None or not late:
        return None
    return Finding(path, first[0], first[1], late)


def moved(source: Source, finding: Finding, top_level: list[ast.stmt]) -> bytes | None:
    """The file's bytes with the late assignments moved above the first hub import, or None
    when that is not clearly safe or would not be byte-exact."""
    if finding.first_import not in top_level or finding.first_import.col_offset != 0:
        return None
    lines = source.lines()
    for node in finding.late:
        end = node.end_lineno or node.lineno
        rest = after_column(lines[end - 1], node.end_col_offset or 0).strip()
        if (
            node not in top_level
            or node.col_offset != 0
            or not _literal_only(node)
            or (rest and not rest.startswith("#"))
        ):
            return None
    block = [
        line
        for node in finding.late
        for line in lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
    ]
    if not block[-1].endswith(("\n", "\r")):  # the last line of a file without a newline
        block[-1] += line_ending(lines[0])
    for node in sorted(finding.late, key=lambda n: n.lineno, reverse=True):
        del lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
    at = finding.first_import.lineno - 1
    imports_os = any(
        isinstance(n, ast.Import)
        and any(a.name == "os" for a in n.names)
        and n.lineno <= finding.first_import.lineno
        for n in top_level
    )
    uses_os = any("os." in line for line in block)
    newline = line_ending(lines[at])
    lines[at:at] = ([f"import os{newline}"] if uses_os and not imports_os else []) + block
    return source.encode("".join(lines))


def sources(ctx: Context) -> Iterator[tuple[Path, bytes]]:
    """(path, content) of the Python files to look at: staged blobs in a git hook (what will be
    committed), the files on disk otherwise."""
    if ctx.in_hook:
        repo = ctx.repo()
        staged = [f for f in ctx.staged() if f.path.endswith(".py") and f.mode.startswith("100")]
        content = ctx.staged_content(staged)
        for f in staged:
            yield (repo.work_tree if repo else ctx.cwd) / f.path, content.get(f.sha, b"")
        return
    root = project_root(ctx)
    for path in python_files(ctx, root) if root else []:
        try:
            yield path, path.read_bytes()
        except OSError:
            continue


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    count = problems = 0
    hook = ctx.in_hook
    if not hook and project_root(ctx) is None:
        yield Diagnostic(
            Status.SKIP,
            f"{ctx.cwd} is in no git repository and no pyproject.toml project: "
            "run it from the project to check",
        )
        return
    for path, data in sources(ctx):
        count += 1
        if VAR.encode() not in data:
            continue
        source = Source.decode(data)
        try:
            tree = ast.parse(source.text if source else data)
        except (SyntaxError, ValueError):
            continue  # not ours to judge; the user's tools report syntax errors
        finding = find(path, tree)
        if finding is None:
            continue
        problems += 1
        lines = [n.lineno for n in finding.late]
        where = ", ".join(f"{path}:{n}" for n in lines)
        facts = {
            "file": str(path),
            "lines": lines,
            "import_line": finding.first_import.lineno,
            "module": finding.module,
        }
        new = moved(source, finding, tree.body) if source else None
        if new is not None and not hook:  # a hook never writes; the staged blob is not the file
            fix = Fix(
                f"Move the HF_ENDPOINT assignment above `import {finding.module}`",
                Applicability.SAFE,
                (FileEdit.write(path, new),),
            )
        else:
            fix = Fix(
                "Set HF_ENDPOINT before importing",
                Applicability.DISPLAY_ONLY,
                instructions=f"move the assignment at {where} above line "
                f"{finding.first_import.lineno} (`import {finding.module}`), or set it in "
                "the environment before Python starts",
            )
        yield Diagnostic(
            Status.FAIL,
            f"{where}: HF_ENDPOINT is set after `import "
            f"{finding.module}` (line {finding.first_import.lineno}), so "
            "huggingface_hub never sees it",
            facts,
            (fix,),
            key=str(path),
        )
    if not problems:
        yield Diagnostic(
            Status.PASS,
            f"{count} Python files: HF_ENDPOINT is never set after a hub import",
            {"files": count},
        )


RULE = Rule(
    code="DD204",
    name="hf-endpoint-set-after-import",
    summary="HF_ENDPOINT is assigned after huggingface_hub is imported",
    scope=Scope.HOOK,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
)
