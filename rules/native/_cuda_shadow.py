"""DD106's examination: which copy of each nvidia-* wheel library the loader picks."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    Status,
    TargetError,
    effective_env,
)

from ._child import loads_from_in_child
from ._linkage import Linked, infos, linked, loader
from ._loader import Resolved

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings


class Shadow(NamedTuple):
    requester: str
    resolved: Resolved
    bundled: str  # the wheel's copy it hides


def _in(path: str, folder: str) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)


def shadows(ctx: Context, env: dict[str, str]) -> list[Shadow]:
    site_dirs = [os.path.join(s, "nvidia") for s in ctx.target().site_packages]
    libs = linked(ctx)
    bundled: dict[str, str] = {}  # soname -> the wheel's copy
    for lib in libs:
        if lib.info and lib.info.soname and any(_in(lib.path, d) for d in site_dirs):
            bundled.setdefault(lib.info.soname, lib.path)
    if not bundled:
        return []
    load = loader(ctx, env)
    found: dict[str, Shadow] = {}
    for lib in libs:
        if lib.info is None or not _requester(lib, site_dirs):
            continue
        for needed in lib.info.needed:
            if needed not in bundled or needed in found:
                continue
            resolved = load.resolve(needed, lib.path, lib.info)
            if resolved.path and not any(_in(resolved.path, d) for d in site_dirs):
                found[needed] = Shadow(lib.path, resolved, bundled[needed])
    infos(ctx).save()
    return list(found.values())


def _requester(lib: Linked, nvidia_dirs: list[str]) -> bool:
    """torch's own libraries and the wheels' (which need each other)."""
    parts = lib.path.split(os.sep)
    return (len(parts) > 2 and parts[-3:-1] == ["torch", "lib"]) or any(
        _in(lib.path, d) for d in nvidia_dirs
    )


def _fix(ctx: Context, found: list[Shadow], settings: Settings) -> Fix:
    python = ctx.location.python or "python3"
    dirs = list(dict.fromkeys(os.path.dirname(s.bundled) for s in found))
    first = found[0]
    timeout = settings.child_timeout

    def verify(env: Mapping[str, str]) -> str | None:
        expected = [s.bundled for s in found if s.requester == first.requester]
        return loads_from_in_child(python, env, first.requester, expected, timeout)

    change = EnvChange("LD_LIBRARY_PATH", ":".join(dirs), EnvOp.PREPEND)
    if change.problem():
        return Fix(
            "Put the wheels' libraries first",
            Applicability.DISPLAY_ONLY,
            instructions=change.problem() or "",
        )
    return Fix(
        f"Put {', '.join(dirs)} first in LD_LIBRARY_PATH",
        Applicability.SAFE,
        env=(change,),
        verify=verify,
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        found = shadows(ctx, effective_env(ctx))
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(
            Status.PASS, "the CUDA libraries of the nvidia-* wheels load from the wheels"
        )
        return
    fix = _fix(ctx, found, settings)
    for s in found:
        facts: dict[str, Any] = {
            "library": s.resolved.name,
            "loads": s.resolved.path,
            "because": s.resolved.reason,
            "bundled": s.bundled,
            "requester": s.requester,
        }
        yield Diagnostic(
            Status.FAIL,
            f"{s.resolved.name} loads from {os.path.dirname(s.resolved.path or '')} (by "
            f"{s.resolved.reason}), not from the wheel copy at {s.bundled}",
            facts,
            (fix,),
            key=s.resolved.name,
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    try:
        found = shadows(ctx, effective_env(ctx))
    except TargetError:
        return None
    return _fix(ctx, found, settings) if found else None
