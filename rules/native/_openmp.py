"""DD109's examination: the distinct Intel/LLVM OpenMP runtime files an environment holds."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import Applicability, Context, Diagnostic, Fix, Status, TargetError

from ._linkage import linked
from ._torch import owner_of

RUNTIME = re.compile(r"^lib(?:iomp5|omp)(?:[-.][^/]*)?\.so(?:\.\d[\w.]*)?$")


def runtimes(ctx: Context) -> dict[str, str]:
    """Real path -> the distribution that brought it."""
    target = ctx.target()
    found: dict[str, str] = {}
    for lib in linked(ctx):
        if RUNTIME.match(os.path.basename(lib.path)) and lib.realpath not in found:
            dist = owner_of(target, lib.path) or os.path.basename(os.path.dirname(lib.path))
            found[lib.realpath] = dist
    return found


def _fix(found: dict[str, str]) -> Fix:
    names = ", ".join(sorted(set(found.values())))
    return Fix(
        "Keep one OpenMP runtime",
        Applicability.DISPLAY_ONLY,
        instructions=f"uninstall all but one of {names}, or install builds of them that share "
        "one runtime (with conda: all from one channel); KMP_DUPLICATE_LIB_OK=TRUE only "
        "hides the check and may crash or give wrong results",
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        found = runtimes(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if len(found) < 2:
        yield Diagnostic(Status.PASS, f"{len(found)} Intel/LLVM OpenMP runtime here")
        return
    listed = ", ".join(f"{dist} ({os.path.basename(path)})" for path, dist in sorted(found.items()))
    yield Diagnostic(
        Status.FAIL,
        f"{len(found)} OpenMP runtimes that refuse each other: {listed}",
        {"runtimes": sorted(found)},
        (_fix(found),),
        key="openmp",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        found = runtimes(ctx)
    except TargetError:
        return None
    return _fix(found) if len(found) > 1 else None
