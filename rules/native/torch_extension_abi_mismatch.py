"""A compiled torch companion (torchvision, torchaudio, flash-attn, xformers, any extension
linking libc10/libtorch) was built for another torch, CUDA flavour or C++11 ABI.

## What it does

Finds torch's libraries in the examined environment (no import), then every other library that
links them (`DT_NEEDED` names `libc10.so` or `libtorch*.so`). For each one it lists the `c10::`,
`at::` and `torch::` symbols it needs and looks each up in torch's libraries the way the loader
does (their GNU hash tables: the 500 MB `libtorch_cpu.so` is not read whole). A symbol that
none of them exports is proof of a build for another torch; a missing name with `__cxx11` in it
points at the C++11 ABI flavour (flash-attn's `cxx11abiTRUE`/`FALSE` wheels). A companion whose
metadata pins another torch (`Requires-Dist: torch==2.3.0`) is reported too.

## Why is this bad?

The import fails with `undefined symbol: _ZN3c104cuda9SetDeviceEi`, or loads and then fails at
the first op: `operator torchvision::nms does not exist`, `xFormers can't load C++/CUDA
extensions`. `pip check` sees only the exact pins, not flash-attn, xformers or your own builds.

## Example

```
$ devdoctor check torch-extension-abi-mismatch
  ✗ DD104 torch-extension-abi-mismatch: torchvision 0.18.0 was built for torch 2.3.0; this is
    torch 2.4.1+cpu (3 symbols it needs are not exported, e.g. _ZN3c1017RegisterOperatorsD1Ev)
```

## Fix

For torchvision and torchaudio: install the release paired with the installed torch, from the
index of torch's own flavour (`+cu121` → `https://download.pytorch.org/whl/cu121`), then load
the extension in a new process of the environment's interpreter after importing torch. For
other extensions: display-only, the reinstall command (a build for this torch, or from source).

## Fix safety

Unsafe: it changes installed packages and needs the package index; `devdoctor undo` reinstalls
the previous version.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    PackageEdit,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    setting,
)

from ._child import load_in_child
from ._dynamic import exported, undefined_symbols
from ._elf import Unreadable
from ._linkage import linked
from ._torch import TORCH_LIBS, Torch, owners, paired, pinned_torch, torch_of

# c10::, at::, torch:: (also their vtables and typeinfo): what a build for another torch lacks
TORCH_SYMBOL = re.compile(r"_Z(?:T[VIS])?N[KVRO]{0,3}(?:3c10|2at|5torch|4c10d)\d")
COMPANIONS = ("torchvision", "torchaudio")


@dataclass(frozen=True)
class Settings:
    child_timeout: float = setting(60.0, "seconds the proof in a new process may take")


@dataclass
class Mismatch:
    distribution: str
    libraries: list[str]
    missing: list[str]
    pinned: str | None  # the torch its metadata requires, when that is not the installed one


def mismatches(ctx: Context, torch: Torch) -> list[Mismatch]:
    target = ctx.target()
    torch_libs = torch.libraries()
    owner = owners(target)
    found: dict[str, Mismatch] = {}
    for lib in linked(ctx):
        info = lib.info
        if info is None or lib.realpath.startswith(os.path.realpath(torch.lib_dir) + os.sep):
            continue
        if not any(n in TORCH_LIBS for n in info.needed):
            continue
        try:
            needed = set(undefined_symbols(lib.realpath, lambda s: bool(TORCH_SYMBOL.match(s))))
            for provider in torch_libs:
                needed -= exported(provider, needed)
        except Unreadable:
            continue
        if needed:
            dist = owner.get(lib.realpath, os.path.basename(os.path.dirname(lib.path)))
            entry = found.setdefault(dist, Mismatch(dist, [], [], None))
            entry.libraries.append(lib.realpath)
            entry.missing += sorted(needed)
    for name in COMPANIONS:
        pin = pinned_torch(target, name)
        if pin and pin != torch.version and pin != torch.public:
            found.setdefault(name, Mismatch(name, [], [], None)).pinned = pin
    return list(found.values())


def _fix(ctx: Context, torch: Torch, problem: Mismatch, settings: Settings) -> Fix:
    python = ctx.location.python or "python3"
    name = problem.distribution
    want = paired(name.lower(), torch.version)
    if name.lower() in COMPANIONS and want:
        now = ctx.target().version_of(name)
        timeout = settings.child_timeout

        def verify(env: Mapping[str, str]) -> str | None:
            return load_in_child(python, env, problem.libraries, ("torch",), timeout)

        edit = PackageEdit(python, name, now, want, index_url=torch.index_url)
        return Fix(
            f"Install {name} {want}, built for torch {torch.version}",
            Applicability.UNSAFE,
            (edit,),
            verify=verify,
        )
    command = shlex.join(
        [
            python,
            "-m",
            "pip",
            "install",
            "--force-reinstall",
            "--no-deps",
            "--no-build-isolation",
            name,
        ]
    )
    return Fix(
        f"Reinstall {name} built for torch {torch.version}",
        Applicability.DISPLAY_ONLY,
        instructions=f"install a {name} build for torch {torch.version} (its release page lists "
        f"one per torch and CUDA), or build it here: {command}",
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        torch = torch_of(ctx.target())
        problems = mismatches(ctx, torch) if torch else []
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if torch is None:
        yield Diagnostic(Status.PASS, "torch is not installed")
        return
    for p in problems:
        built_for = f"was built for torch {p.pinned}" if p.pinned else "was built for another torch"
        why = []
        if p.missing:
            abi = " (the C++11 ABI flavour differs)" if any("cxx11" in s for s in p.missing) else ""
            why.append(
                f"{len(p.missing)} symbols it needs are not exported, e.g. {p.missing[0]}{abi}"
            )
        facts: dict[str, Any] = {
            "distribution": p.distribution,
            "libraries": p.libraries,
            "missing": p.missing[:10],
            "torch": torch.version,
            "pinned": p.pinned,
        }
        yield Diagnostic(
            Status.FAIL,
            f"{p.distribution} {built_for}; this is torch {torch.version}"
            + (f" ({'; '.join(why)})" if why else ""),
            facts,
            (_fix(ctx, torch, p, settings),),
            key=p.distribution,
        )
    if not problems:
        yield Diagnostic(
            Status.PASS, f"every extension linking torch {torch.version} finds its symbols"
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    try:
        torch = torch_of(ctx.target())
        problems = mismatches(ctx, torch) if torch else []
    except TargetError:
        return None
    library = os.path.realpath(str(facts.get("library", "")))
    for p in problems:
        if torch and (library in p.libraries or not facts.get("library")):
            return _fix(ctx, torch, p, settings)
    return None


RULE = Rule(
    code="DD104",
    name="torch-extension-abi-mismatch",
    summary="A compiled torch companion was built for another torch",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "undefined symbol",
            r"undefined symbol:? ?(?P<symbol>_Z(?:T[VIS])?N[KVRO]{0,3}(?:3c10|2at|5torch|4c10d)"
            r"\d\w{0,2048})",
            "an extension was built for another torch: {symbol} is not in this one",
            before="library",
            before_pattern=r".{0,4090}\.so(?:\.[0-9][0-9A-Za-z_.-]{0,64})?",
            before_required=False,
        ),
        Signature(
            ("operator", "No such operator"),
            r"(?:operator|No such operator) (?P<operator>torch(?:vision|audio|text)::\w{1,128})"
            r"(?: does not exist|\b)",
            "{operator} is missing: torchvision/torchaudio do not match torch",
        ),
        Signature(
            "load C++/CUDA extensions",
            r"load C\+\+/CUDA extensions",
            "xformers was built for another torch",
        ),
        Signature(
            ("load custom C++ ops", "torchvision versions are incompatible"),
            r"load custom C\+\+ ops|torchvision versions are incompatible",
            "torchvision's compiled ops do not match torch",
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
)
