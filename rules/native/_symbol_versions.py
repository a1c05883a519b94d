"""DD103's examination: which symbol versions each library needs and the copy that loads defines."""

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

from ._child import load_in_child
from ._dynamic import DynamicInfo, read_dynamic
from ._elf import Unreadable
from ._linkage import infos, linked, loader
from ._loader import Loader, Resolved

CXX_RUNTIME = ("libstdc++.so", "libgcc_s.so")

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings


class Gap(NamedTuple):
    consumer: str
    needed: str
    missing: tuple[str, ...]
    resolved: Resolved


class Examination:
    """One environment's loader, and the versions each library file defines (read once)."""

    def __init__(self, ctx: Context, settings: Settings, load: Loader) -> None:
        self.ctx, self.settings, self.load = ctx, settings, load
        self.provides: dict[str, tuple[str, ...] | None] = {}
        self.real: dict[str, str] = {}

    def defines(self, path: str) -> tuple[str, ...] | None:
        real = self.real.get(path) or self.real.setdefault(path, os.path.realpath(path))
        if real not in self.provides:
            info = self.load.reader(real)
            self.provides[real] = info.defines_versions if info else None
        return self.provides[real]

    def gaps(self, path: str, info: DynamicInfo) -> Iterator[Gap]:
        """The versions `path` needs that the files the loader would pick do not define."""
        for needed, versions in info.needs_versions.items():
            resolved = self.load.resolve(needed, path, info)
            if resolved.path is None:
                continue  # a missing library is another problem
            defined = self.defines(resolved.path)
            if defined is None:
                continue
            missing = tuple(v for v in versions if v not in defined)
            if missing:
                yield Gap(path, needed, missing, resolved)

    def alternatives(self, gap: Gap) -> list[str]:
        """Other copies of the library on this machine that define every missing version."""
        dirs = [d for d, _ in gap.resolved.tried]
        cached = self.load.ld_cache().get(gap.needed)
        candidates = [os.path.join(d, gap.needed) for d in dirs] + ([cached] if cached else [])
        current = os.path.realpath(gap.resolved.path or "")
        found: list[str] = []
        for candidate in candidates:
            if os.path.realpath(candidate) == current or candidate in found:
                continue
            defined = self.defines(candidate) if self.load.fits(candidate) else None
            if defined is not None and all(v in defined for v in gap.missing):
                found.append(candidate)
        return found

    def fix(self, gap: Gap) -> Fix:
        missing = ", ".join(gap.missing)
        if all(v.startswith("GLIBC_") for v in gap.missing):
            return Fix(
                f"Install a build of {os.path.basename(gap.consumer)} for this system's glibc",
                Applicability.DISPLAY_ONLY,
                instructions=f"{gap.consumer} was built for a newer glibc ({missing}) than this "
                "system has: install a wheel with an older manylinux tag, or use a newer system "
                "or container",
            )
        python = self.ctx.location.python or "python3"
        timeout = self.settings.child_timeout

        def verify(env: Mapping[str, str]) -> str | None:
            return load_in_child(python, env, [gap.consumer], (), timeout)

        for other in self.alternatives(gap):
            if os.path.basename(gap.needed).startswith(CXX_RUNTIME):
                change = EnvChange("LD_PRELOAD", other, EnvOp.PREPEND)
                title = f"Preload {other} (it defines {missing})"
            else:
                change = EnvChange("LD_LIBRARY_PATH", os.path.dirname(other), EnvOp.PREPEND)
                title = f"Put {os.path.dirname(other)} first in LD_LIBRARY_PATH"
            if change.problem() is None:
                return Fix(title, Applicability.SAFE, env=(change,), verify=verify)
        return Fix(
            f"Install a {gap.needed} that defines {missing}",
            Applicability.DISPLAY_ONLY,
            instructions=f"no copy of {gap.needed} on this machine defines {missing}: install a "
            "newer one (in conda: conda install -c conda-forge libstdcxx-ng for libstdc++), or "
            "a build of the library made for the one you have",
        )

    def diagnostic(self, gap: Gap) -> Diagnostic:
        facts: dict[str, Any] = {
            "library": gap.consumer,
            "needs": gap.needed,
            "missing": list(gap.missing),
            "loads": gap.resolved.path,
            "because": gap.resolved.reason,
        }
        return Diagnostic(
            Status.FAIL,
            f"{gap.consumer} needs {', '.join(gap.missing)} from {gap.needed}, and the copy "
            f"that loads ({gap.resolved.path}, by {gap.resolved.reason}) does not define it",
            facts,
            (self.fix(gap),),
            key=f"{gap.consumer}:{gap.needed}",
        )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        libs = linked(ctx)
        load = loader(ctx, effective_env(ctx))
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    examination = Examination(ctx, settings, load)
    found = 0
    for lib in libs:
        if lib.info is None or lib.info.machine != load.machine:
            continue
        for gap in examination.gaps(lib.path, lib.info):
            found += 1
            yield examination.diagnostic(gap)
    infos(ctx).save()
    if not found:
        yield Diagnostic(
            Status.PASS,
            f"every symbol version the {len(libs)} libraries need is defined where they load",
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    """The library the log names, examined as the check would."""
    path = str(facts.get("required_by", ""))
    if not os.path.isfile(path):
        return None
    try:
        info = read_dynamic(path)
        load = loader(ctx, effective_env(ctx))
    except (Unreadable, TargetError):
        return None
    examination = Examination(ctx, settings, load)
    for gap in examination.gaps(path, info):
        return examination.fix(gap)
    return None
