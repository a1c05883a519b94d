"""DD105's examination: extensions compiled against NumPy 1.x, and the fixes."""

from __future__ import annotations

import mmap
import os
import re
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

from ._child import import_in_child
from ._linkage import file_facts, linked
from ._torch import owner_of

LAST_1X = "1.26.4"  # supports Python 3.9 to 3.12
EXTENSION = re.compile(r"\.(?:cpython-[^.]+|abi3)\.so$|python[^/]*\.so[.\d]*$")
MAX_SIZE = 256 << 20

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings


def _release(version: str) -> tuple[int, ...]:
    """The leading numbers of a version (2.2.6rc1 -> (2, 2, 6)); packaging costs 3 ms to import."""
    numbers = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        numbers.append(int(digits.group()))
    return tuple(numbers)


def built_for_numpy1(path: str) -> bool:
    """The NumPy C-API import of a module compiled with 1.x headers, and not 2.x's."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if not 0 < size <= MAX_SIZE:
                return False
            with mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as data:
                if data.find(b"_ARRAY_API") < 0 or data.find(b"numpy._core") >= 0:
                    return False
                return data.find(b"numpy.core._multiarray_umath") >= 0 or (
                    data.find(b"numpy.core.multiarray") >= 0
                )
    except (OSError, ValueError):
        return False


def module_name(path: str, site_packages: tuple[str, ...]) -> str | None:
    """The import name of an extension module file, or None for a plain library."""
    for site in site_packages:
        if path.startswith(site.rstrip(os.sep) + os.sep):
            rel = os.path.relpath(path, site)
            stem = re.sub(r"\.(?:cpython-[^.]+|abi3)\.so$", "", rel)
            return None if stem == rel else stem.replace(os.sep, ".")
    return None


class Offender(NamedTuple):
    path: str
    distribution: str
    module: str | None


def offenders(ctx: Context) -> list[Offender]:
    target = ctx.target()
    numpy_dirs = tuple(os.path.join(site, "numpy") + os.sep for site in target.site_packages)
    candidates = {
        lib.realpath: lib.path
        for lib in linked(ctx)
        if EXTENSION.search(lib.path) and not lib.path.startswith(numpy_dirs)
    }
    verdicts = file_facts(ctx, "numpy1-extensions", candidates, built_for_numpy1)
    found = []
    for real, numpy1 in verdicts.items():
        if numpy1:
            path = candidates[real]
            dist = owner_of(target, path) or os.path.basename(os.path.dirname(path))
            found.append(Offender(path, dist, module_name(path, target.site_packages)))
    return found


def _fixes(ctx: Context, numpy: str, found: list[Offender], settings: Settings) -> tuple[Fix, ...]:
    python = ctx.location.python or "python3"
    modules = [o.module for o in found if o.module]
    timeout = settings.child_timeout

    def verify(env: Mapping[str, str]) -> str | None:
        return import_in_child(python, env, modules, timeout)

    fixes = []
    if _release(ctx.target().version)[:2] <= (3, 12):
        edit = PackageEdit(python, "numpy", numpy, LAST_1X)
        fixes.append(
            Fix(
                f"Install numpy {LAST_1X} (the last 1.x)",
                Applicability.UNSAFE,
                (edit,),
                verify=verify,
            )
        )
    dists = sorted({o.distribution for o in found})
    target = ctx.target()
    edits = tuple(PackageEdit(python, d, target.version_of(d), None) for d in dists)
    fixes.append(
        Fix(
            f"Upgrade {', '.join(dists)} to a build for NumPy 2",
            Applicability.UNSAFE,
            edits,
            verify=verify,
        )
    )
    return tuple(fixes)


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        numpy = ctx.target().version_of("numpy")
        if numpy is None or _release(numpy)[:1] < (2,):
            yield Diagnostic(Status.PASS, f"numpy {numpy or 'is not installed'}: no NumPy 2 break")
            return
        found = offenders(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(
            Status.PASS, f"no extension here was compiled against NumPy 1.x (numpy {numpy})"
        )
        return
    names = ", ".join(f"{o.distribution} ({os.path.basename(o.path)})" for o in found[:5])
    facts: dict[str, Any] = {"numpy": numpy, "offenders": [o.path for o in found]}
    yield Diagnostic(
        Status.FAIL,
        f"{names} {'was' if len(found) == 1 else 'were'} compiled against NumPy 1.x; this "
        f"environment has numpy {numpy}",
        facts,
        _fixes(ctx, numpy, found, settings),
        key="numpy1-extensions",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    try:
        numpy = ctx.target().version_of("numpy")
        found = offenders(ctx) if numpy else []
    except TargetError:
        return None
    return _fixes(ctx, numpy, found, settings)[0] if numpy and found else None
