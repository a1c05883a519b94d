"""A Jupyter kernelspec whose interpreter is gone, or is not the environment it names.

## What it does

Reads every `kernel.json` where Jupyter looks for kernelspecs — `JUPYTER_PATH`, the user's data
folder (`~/.local/share/jupyter`), the examined environment's `share/jupyter`, and the system's
— the same list `jupyter kernelspec list` prints. A kernel whose `argv[0]` interpreter does not
exist fails.

## Why is this bad?

Opening a notebook with that kernel fails with `FileNotFoundError: [Errno 2] No such file or
directory: '/home/u/anaconda3/envs/old/bin/python'`, or a kernel named after one environment
silently runs another's Python (`ModuleNotFoundError` for what is installed).

## Example

```
$ devdoctor check jupyter-kernel-stale-interpreter
  ✗ DD512 jupyter-kernel-stale-interpreter: kernel "pyk3" (~/.local/share/jupyter/kernels/pyk3)
    runs /Users/kees/anaconda/envs/pyk3/bin/python, which does not exist
```

## Fix

When the examined interpreter has ipykernel: point the kernel at it (its `kernel.json`
rewritten, nothing else), then start that interpreter with `-m ipykernel_launcher --help` in a
new process. Otherwise display-only: `python -m pip install ipykernel && python -m ipykernel
install --user --name NAME`.

## Fix safety

Safe: one file, checked unchanged before writing; `devdoctor undo` restores it byte for byte.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    FileEdit,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
)


def kernel_dirs(ctx: Context) -> list[Path]:
    """Where Jupyter looks, in its order (jupyter_core.paths.jupyter_path)."""
    env = effective_env(ctx)
    home = Path(env.get("HOME", os.path.expanduser("~")))
    data = Path(
        env.get("JUPYTER_DATA_DIR")
        or Path(env.get("XDG_DATA_HOME") or home / ".local/share") / "jupyter"
    )
    folders = [Path(p) for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    folders.append(data)
    prefix = ctx.location.prefix
    if prefix:
        folders.append(Path(prefix) / "share" / "jupyter")
    folders += [Path("/usr/local/share/jupyter"), Path("/usr/share/jupyter")]
    return [f / "kernels" for f in dict.fromkeys(folders)]


def kernels(ctx: Context) -> list[tuple[str, Path, list[str]]]:
    """(name, folder, argv) of each kernelspec, the first of a name winning."""
    found, seen = [], set()
    for folder in kernel_dirs(ctx):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            spec = folder / name / "kernel.json"
            if name.lower() in seen or not spec.is_file():
                continue
            seen.add(name.lower())
            try:
                argv = json.loads(spec.read_text()).get("argv") or []
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv):
                found.append((name, folder / name, argv))
    return found


def _fix(ctx: Context, name: str, folder: Path) -> Fix:
    python = ctx.location.python or "python3"
    try:
        has_kernel = ctx.target().version_of("ipykernel") is not None
    except TargetError:
        has_kernel = False
    if not has_kernel:
        steps = (
            shlex.join([python, "-m", "pip", "install", "ipykernel"])
            + " && "
            + shlex.join([python, "-m", "ipykernel", "install", "--user", "--name", name])
        )
        return Fix(
            f"Reinstall kernel {name}", Applicability.DISPLAY_ONLY, instructions=f"run: {steps}"
        )
    spec = folder / "kernel.json"
    data = json.loads(spec.read_text())
    data["argv"][0] = python
    edit = FileEdit.write(spec, json.dumps(data, indent=1) + "\n")

    def verify(env: Mapping[str, str]) -> str | None:
        argv = json.loads(spec.read_text())["argv"]
        script = "import ipykernel_launcher"
        return run_script(argv[0], script, (), env, 60.0)

    return Fix(f"Point kernel {name} at {python}", Applicability.SAFE, (edit,), verify=verify)


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    stale = [
        (n, f, a) for n, f, a in kernels(ctx) if os.path.isabs(a[0]) and not os.path.exists(a[0])
    ]
    if not stale:
        yield Diagnostic(Status.PASS, "every Jupyter kernel's interpreter exists")
        return
    for name, folder, argv in stale:
        yield Diagnostic(
            Status.FAIL,
            f'kernel "{name}" ({folder}) runs {argv[0]}, which does not exist',
            {"kernel": name, "folder": str(folder), "interpreter": argv[0]},
            (_fix(ctx, name, folder),),
            key=str(folder),
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    missing = str(facts.get("interpreter", ""))
    for name, folder, argv in kernels(ctx):
        if argv[0] == missing:
            return _fix(ctx, name, folder)
    return None


RULE = Rule(
    code="DD512",
    name="jupyter-kernel-stale-interpreter",
    summary="A Jupyter kernelspec whose interpreter is gone",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # the kernel manager starting a kernelspec's argv[0] that is gone
        Signature(
            "No such file or directory",
            r"No such file or directory: '(?P<interpreter>/[^']{0,1024}/bin/python[\d.]{0,8})'",
            "a kernel's interpreter {interpreter} does not exist",
            context=r"jupyter|kernel|ipykernel|notebook|FileNotFoundError",
        ),
        Signature(
            "raise child_exception_type",
            r"raise child_exception_type\(errno_num, err_msg, err_filename\)",
            "a program to start was not found (a kernel's interpreter?)",
            context=r"jupyter|kernel|ipykernel|notebook",
        ),
    ),
    fix_from_log=fix_from_log,
)
