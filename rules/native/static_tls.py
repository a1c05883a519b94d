"""A library that needs more static TLS than glibc keeps for libraries loaded after start-up.

## What it does

Reads the program headers and dynamic table of every shared library in the examined
environment's site-packages (`*.so*` in packages and in `*.libs/` folders), and finds those built
with the initial-exec TLS model: `DF_STATIC_TLS` set, or initial-exec relocations
(`R_X86_64_TPOFF64`, `R_AARCH64_TLS_TPREL64`; aarch64 linkers never set the flag). Their TLS
size and alignment are compared with what this glibc keeps for late loads: 1664 bytes without
the 2.32 surplus accounting, `1152 + glibc.rtld.optional_static_tls` with it (1712 usable on
x86_64), and a static block aligned to 64 bytes on x86_64, 32 on aarch64 (16 before 2.35).

Libraries that use only TLS descriptors (every ordinary `__thread` library on aarch64; x86_64
ones built with `-mtls-dialect=gnu2`; their `R_*_TLSDESC` relocations are read from the PLT
table too) take their blocks from the same surplus first, up to `optional_static_tls` (512):
that share is subtracted, as if they all load first, so the prediction is never optimistic
(measured against the real aarch64 loader). Whether the loader has this accounting and the
tunables is read from the examined environment's `ld.so` itself, not guessed from the glibc
version (Debian 11's 2.31 has them).

It fails when a library can never be loaded after start-up (too big, or aligned beyond the
static block) or when the libraries together cannot fit; it warns when loading works only in some
import orders (TLS descriptors taking the whole surplus first, on a loader without the
accounting) or when several libgomp copies sit side by side. With the setting `deep = true` each
flagged library is also loaded in a child interpreter after the usual heavy imports, to record
whether it really fails.

`devdoctor diagnose` recognises `<path>: cannot allocate memory in static TLS block` however it
was pasted, and finds the named file on this machine (by its basename in site-packages when the
path was relative, elided or is gone).

## Why is this bad?

Importing the package fails with `ImportError: .../libgomp-d22c30c5.so.1.0.0: cannot allocate
memory in static TLS block`. Python imports are dlopen calls, and a library using initial-exec
TLS can only take room that was reserved when the process started. Every vendored libgomp
(scikit-learn, torch, xgboost) is built this way, and so are jemalloc and tcmalloc. It is most
common on aarch64 boxes (Jetson, Graviton, Ascend, Kunpeng).

## Example

```
$ python -c "import sklearn"
ImportError: /venv/lib/python3.11/site-packages/scikit_learn.libs/libgomp-d22c30c5.so.1.0.0:
cannot allocate memory in static TLS block
$ devdoctor check static-tls
  ✗ DD101 static-tls: .../libgomp-d22c30c5.so.1.0.0 needs 1808 bytes of static TLS; glibc 2.35
    keeps 1712 for libraries loaded after start-up
```

## Fix

Preload that exact file (its real path) with `LD_PRELOAD`, prepended to any existing value and
persisted for the examined environment (`--target auto|conda|venv|shell|print`): preloaded, its
TLS is part of the initial block, so neither size nor alignment matters. Where the loader has the
tunables and the problem is size, not alignment, the alternative (`--alternative 1`) raises
`glibc.rtld.optional_static_tls` in `GLIBC_TUNABLES` (other tunables kept), sized for the
initial-exec demand plus every descriptor block (raising it lets them take more; a value sized
for the initial-exec libraries alone can break a load that worked), rounded up to 1 KiB.
Both are verified by loading the library in a new process with the persisted environment.

The preload names a file whose name carries a hash that changes between wheel releases:
after an upgrade the path can disappear. DD102 (stale-ld-preload) catches that and removes it.

## Fix safety

Safe: only devdoctor's marked blocks in the environment's activate scripts change, and `devdoctor
undo` restores them byte for byte. The variables reach every process started from that
environment, including non-Python ones, which is why they are scoped to the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    setting,
)

from . import _glibc as glibc
from ._budget import Budget, tunable_size
from ._child import load_in_child
from ._libscan import Library, libraries


@dataclass(frozen=True)
class Settings:
    deep: bool = setting(
        False, "confirm each flagged library by loading it in a child of the target interpreter"
    )
    imports: tuple[str, ...] = setting(
        ("numpy", "torch", "sklearn"),
        "modules imported first in that child, if installed (they take static TLS too)",
    )
    child_timeout: float = setting(60.0, "seconds the child may take before it counts as hung")


def _preloaded(env: Mapping[str, str]) -> set[str]:
    entries = env.get("LD_PRELOAD", "").replace(" ", ":").split(":")
    return {os.path.realpath(e) for e in entries if e}


def _fixes(
    ctx: Context,
    settings: Settings,
    budget: Budget,
    libs: Sequence[str],
    loaded_first: Sequence[str],
    demand: int,
    size_only: bool,
) -> tuple[Fix, ...]:
    """Preload the libraries; on glibc >= 2.32 and for size problems, the tunable too."""
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        return load_in_child(
            python, env, [*loaded_first, *libs], settings.imports, settings.child_timeout
        )

    names = ", ".join(os.path.basename(p) for p in libs)
    unloadable = [p for p in libs if ":" in p or any(c.isspace() for c in p)]
    fixes = []
    if unloadable:  # ld.so splits LD_PRELOAD at colons and blanks: no way to name this file
        fixes.append(
            Fix(
                f"Preload {names} from a path without blanks or colons",
                Applicability.DISPLAY_ONLY,
                instructions=f"{unloadable[0]} cannot be named in LD_PRELOAD (ld.so splits it "
                "at blanks and colons): recreate the environment under a path without them",
            )
        )
    else:
        fixes.append(
            Fix(
                f"Preload {names} (LD_PRELOAD)",
                Applicability.SAFE,
                env=(EnvChange("LD_PRELOAD", ":".join(libs), EnvOp.PREPEND),),
                verify=verify,
            )
        )
    if size_only and budget.accounting:
        n = tunable_size(ctx.env, budget, demand)
        value = glibc.with_tunable(ctx.env, glibc.TUNABLE, n)
        fixes.append(
            Fix(
                f"Raise {glibc.TUNABLE} to {n} (GLIBC_TUNABLES)",
                Applicability.SAFE,
                env=(EnvChange("GLIBC_TUNABLES", value, EnvOp.SET),),
                verify=verify,
            )
        )
    return tuple(sorted(fixes, key=lambda f: not f.applicable))  # the rule's choice applies


def _lib_facts(lib: Library, preloaded: set[str]) -> dict[str, Any]:
    info = lib.info
    assert info is not None  # only readable libraries are listed
    return {
        "path": lib.realpath,
        "tls_bytes": info.tls_bytes,
        "align": info.align,
        "static_tls_flag": info.static_tls_flag,
        "ie_relocs": info.ie_relocs,
        "tlsdesc_relocs": info.tlsdesc_relocs,
        "demand": info.demand,
        "preloaded": lib.realpath in preloaded,
    }


def _confirm(
    ctx: Context, settings: Settings, diagnostic: Diagnostic, libs: Sequence[str]
) -> Diagnostic:
    """deep = true: does the library really fail to load after the usual imports?"""
    python = ctx.location.python or "python3"
    problem = load_in_child(python, ctx.env, libs, settings.imports, settings.child_timeout)
    facts = {**diagnostic.facts, "confirmed": problem or "loads in a test process"}
    if problem is None:
        return replace(
            diagnostic,
            status=Status.WARN,
            message=diagnostic.message + " (yet it loaded in a test process: "
            "the prediction may be pessimistic)",
            facts=facts,
        )
    return replace(diagnostic, facts=facts)


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        found_libraries = libraries(ctx)
        budget = Budget.of(ctx.target(), ctx.env, found_libraries)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the target interpreter: {exc}")
        return
    if budget is None:
        yield Diagnostic(Status.SKIP, "not a glibc Linux system: static TLS works differently")
        return
    preloaded = _preloaded(ctx.env)
    unreadable = [{"path": lib.path, "reason": lib.error} for lib in found_libraries if lib.error]
    unreadable += [
        {
            "path": lib.realpath,
            "reason": f"built for {lib.info.machine} "
            f"({lib.info.elf_class}-bit), the target is {budget.arch}",
        }
        for lib in found_libraries
        if lib.info and lib.info.machine != budget.arch
    ]
    static = [
        lib
        for lib in found_libraries
        if lib.info and lib.info.machine == budget.arch and lib.info.needs_static_tls
    ]
    facts: dict[str, Any] = {
        "glibc": ".".join(map(str, budget.glibc)),
        "arch": budget.arch,
        "surplus_bytes": budget.room,  # for initial-exec libraries, descriptors' share taken
        "descriptor_bytes": budget.descriptors,
        "surplus_accounting": budget.accounting,  # read from the loader, not the version
        "static_align": budget.align,
        "libraries": [_lib_facts(lib, preloaded) for lib in static],
        "unreadable": unreadable,
    }
    late: list[Any] = [lib for lib in static if lib.realpath not in preloaded]  # info is set
    found = list(_problems(ctx, settings, budget, late, facts))
    if settings.deep:
        found = [
            _confirm(ctx, settings, d, [d.key]) if d.status is Status.FAIL and d.key else d
            for d in found
        ]
    gomp = sorted(
        {lib.realpath for lib in static if os.path.basename(lib.path).startswith("libgomp")}
    )
    if len(gomp) > 1:
        found.append(
            Diagnostic(
                Status.WARN,
                f"{len(gomp)} copies of libgomp sit side by side: "
                "each takes static TLS and runs its own OpenMP thread pool",
                {**facts, "copies": gomp},
                key="libgomp-copies",
            )
        )
    if not found:
        total = sum(lib.info.demand for lib in late)
        found.append(
            Diagnostic(
                Status.PASS,
                f"{len(late)} {'library' if len(late) == 1 else 'libraries'} loaded late need "
                f"{total} of "
                f"{budget.room} bytes of static TLS",
                facts,
            )
        )
    yield from found


def _problems(
    ctx: Context, settings: Settings, budget: Budget, late: list[Any], facts: dict[str, Any]
) -> Iterator[Diagnostic]:
    over = [lib for lib in late if lib.info.align > budget.align]
    for lib in over:
        fixes = _fixes(ctx, settings, budget, [lib.realpath], [], lib.info.demand, False)
        yield Diagnostic(
            Status.FAIL,
            f"{lib.realpath}: its TLS is aligned to {lib.info.align} "
            f"bytes, more than the {budget.align} a library loaded after start-up "
            "may have: importing it always fails",
            facts,
            fixes,
            key=lib.realpath,
        )
    big = [lib for lib in late if lib not in over and lib.info.demand > budget.room]
    for lib in big:
        fixes = _fixes(ctx, settings, budget, [lib.realpath], [], lib.info.demand, True)
        yield Diagnostic(
            Status.FAIL,
            f"{lib.realpath} needs {lib.info.demand} bytes of static "
            f"TLS; glibc {'.'.join(map(str, budget.glibc))} keeps {budget.room} for "
            "libraries loaded after start-up",
            facts,
            fixes,
            key=lib.realpath,
        )
    rest = sorted(
        (lib for lib in late if lib not in over and lib not in big),
        key=lambda lib: lib.info.demand,
        reverse=True,
    )
    total = sum(lib.info.demand for lib in rest)
    if total > budget.room:
        # Preload the biggest until the others fit in what is left.
        preload, left = [], total
        for lib in rest:
            if left <= budget.room:
                break
            preload.append(lib.realpath)
            left -= lib.info.demand
        fixes = _fixes(
            ctx,
            settings,
            budget,
            preload,
            [lib.realpath for lib in rest if lib.realpath not in preload],
            total,
            True,
        )
        yield Diagnostic(
            Status.FAIL,
            f"{len(rest)} libraries together need {total} bytes of "
            f"static TLS, more than the {budget.room} kept for late loads: the last "
            "one imported fails",
            facts,
            fixes,
            key=preload[0],
        )
        return
    if rest and budget.descriptors_all and not budget.accounting:
        # Without the 2.32 accounting a descriptor library may take the whole surplus first.
        paths = [lib.realpath for lib in rest]
        fixes = _fixes(ctx, settings, budget, paths, [], total, True)
        yield Diagnostic(
            Status.WARN,
            f"{', '.join(os.path.basename(p) for p in paths)} load only "
            "if imported before libraries using TLS descriptors take the surplus "
            f"({budget.descriptors_all} bytes of such blocks)",
            facts,
            fixes,
            key="import-order",
        )


# --- from a log -------------------------------------------------------------------------------

SIGNATURE = Signature(
    "cannot allocate memory in static TLS block",
    "cannot allocate memory in static TLS block",
    "{library} needs static TLS that was used up (or too small) when it was loaded",
    before="library",  # glibc names the library first: `<path>: cannot allocate memory ...`
    before_pattern=r".{0,4096}\.so(?:\.[0-9][0-9A-Za-z_.-]{0,64})?",
)


def _written(raw: str) -> str:
    """The path as a person would write it: JSON's escaped slashes undone."""
    return raw.replace("\\/", "/").replace("\\\\", "\\")


def enrich(ctx: Context, facts: Mapping[str, str]) -> dict[str, Any]:
    written = _written(facts["library"])
    for candidate in (written, os.path.normpath(written)):  # `a/../b` where `a` is gone
        if os.path.isfile(candidate):
            return {"library": os.path.realpath(candidate), "written": written}
    name = os.path.basename(written)
    try:
        found = sorted(
            {lib.realpath for lib in libraries(ctx) if os.path.basename(lib.path) == name}
        )
    except TargetError:
        found = []
    return {"library": found[0] if len(found) == 1 else written, "written": written, "found": found}


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    library = str(facts.get("library", ""))
    if not os.path.isfile(library):
        return None
    try:
        budget = Budget.of(ctx.target(), ctx.env)
    except TargetError:
        budget = None
    if budget is None:
        budget = Budget((2, 31), "unknown", 1664, 16, False)  # preload only: no tunable
    return _fixes(ctx, settings, budget, [library], [], 0, False)[0]


RULE = Rule(
    code="DD101",
    name="static-tls",
    summary="A library needs more static TLS than glibc keeps for late loads",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(SIGNATURE,),
    settings=Settings,
    fix_from_log=fix_from_log,
    enrich=enrich,
)
