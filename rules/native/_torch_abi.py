"""DD104's examination: the torch symbols each extension needs that torch does not export."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    PackageEdit,
    Status,
    TargetError,
)

from ._child import load_in_child
from ._dynamic import exported, undefined_symbols
from ._elf import Unreadable
from ._linkage import file_facts, linked
from ._torch import TORCH_LIBS, Torch, owner_of, paired, pinned_torch, torch_of

# c10::, at::, torch:: (also their vtables and typeinfo): what a build for another torch lacks
TORCH_SYMBOL = re.compile(r"_Z(?:T[VIS])?N[KVRO]{0,3}(?:3c10|2at|5torch|4c10d)\d")
COMPANIONS = ("torchvision", "torchaudio")

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings


class Mismatch(NamedTuple):
    distribution: str
    libraries: list[str]
    missing: list[str]
    pinned: str | None  # the torch its metadata requires, when that is not the installed one


def _not_exported(consumer: str, torch_libs: list[str]) -> list[str]:
    """The torch symbols `consumer` needs that none of torch's libraries exports."""
    try:
        needed = set(undefined_symbols(consumer, lambda s: bool(TORCH_SYMBOL.match(s))))
        for provider in torch_libs:
            needed -= exported(provider, needed)
    except Unreadable:
        return []
    return sorted(needed)


def mismatches(ctx: Context, torch: Torch) -> list[Mismatch]:
    target = ctx.target()
    torch_libs = torch.libraries()
    torch_dir = os.path.realpath(torch.lib_dir) + os.sep
    consumers = {
        lib.realpath: lib.path
        for lib in linked(ctx)
        if lib.info is not None
        and not lib.realpath.startswith(torch_dir)
        and any(n in TORCH_LIBS for n in lib.info.needed)
    }
    # Checked against these exact torch libraries: another torch build means checking again.
    salt = ";".join(f"{p}:{os.stat(p).st_size}:{os.stat(p).st_mtime_ns}" for p in torch_libs)
    missing = file_facts(
        ctx, "torch-symbols", consumers, lambda p: _not_exported(p, torch_libs), salt
    )
    found: dict[str, Mismatch] = {}
    for real, symbols in missing.items():
        if symbols:
            path = consumers[real]
            dist = owner_of(target, path) or os.path.basename(os.path.dirname(path))
            entry = found.setdefault(dist, Mismatch(dist, [], [], None))
            entry.libraries.append(real)
            entry.missing.extend(symbols)
    for name in COMPANIONS:
        pin = pinned_torch(target, name)
        if pin and pin != torch.version and pin != torch.public:
            known = found.get(name)
            found[name] = (known or Mismatch(name, [], [], None))._replace(pinned=pin)
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
        cpu_torch = not os.path.isfile(os.path.join(torch.lib_dir, "libtorch_cuda.so"))
        if p.pinned:
            built_for = f"was built for torch {p.pinned}"
        elif cpu_torch and any("cuda" in s.lower() for s in p.missing):
            built_for = "was built for a CUDA build of torch"
        else:
            built_for = "was built for another torch"
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
