"""DD108's examination: what the GUI build of OpenCV needs from the system that the loader
would not find, and the swap to the headless build."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    PackageSwap,
    Status,
    TargetError,
    effective_env,
)

from ._child import import_in_child
from ._linkage import infos, linked, loader, unresolved

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings

GUI_BUILDS = {
    "opencv-python": "opencv-python-headless",
    "opencv-contrib-python": "opencv-contrib-python-headless",
}
ALL_BUILDS = (*GUI_BUILDS, *GUI_BUILDS.values())
# Debian/Ubuntu packages of the libraries a slim image lacks (apt-get install -y ...)
PACKAGES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libXext.so.6": "libxext6",
    "libXrender.so.1": "libxrender1",
    "libX11.so.6": "libx11-6",
    "libfontconfig.so.1": "libfontconfig1",
}


def missing(ctx: Context) -> list[tuple[str, str]]:
    """(library, needed by) the cv2 libraries' closure lacks."""
    sites = [os.path.join(s, "cv2") + os.sep for s in ctx.target().site_packages]
    load = loader(ctx, effective_env(ctx))
    found: dict[str, str] = {}
    for lib in linked(ctx):
        if lib.info and lib.path.startswith(tuple(sites)):
            for name, needer in unresolved(load, lib.path, lib.info):
                found.setdefault(name, needer)
    infos(ctx).save()
    return sorted(found.items())


def _fixes(
    ctx: Context, gui: str, version: str, lacking: list[str], settings: Settings
) -> tuple[Fix, ...]:
    python = ctx.location.python or "python3"
    timeout = settings.child_timeout

    def verify(env: Mapping[str, str]) -> str | None:
        return import_in_child(python, env, ["cv2"], timeout)

    swap = PackageSwap(python, gui, version, GUI_BUILDS[gui], version)
    packages = sorted({PACKAGES[n] for n in lacking if n in PACKAGES})
    apt = shlex.join(["apt-get", "install", "-y", *packages]) if packages else ""
    system = Fix(
        "Install the system libraries (needs root)",
        Applicability.DISPLAY_ONLY,
        instructions=f"as root: {apt}"
        if apt
        else f"install the packages providing {', '.join(lacking)}",
    )
    headless = Fix(
        f"Replace {gui} {version} by {GUI_BUILDS[gui]} {version}",
        Applicability.UNSAFE,
        (swap,),
        verify=verify,
    )
    return headless, system


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        target = ctx.target()
        installed = {name: v for name in ALL_BUILDS if (v := target.version_of(name))}
        gui = [name for name in GUI_BUILDS if name in installed]
        lacking = missing(ctx) if gui else []
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if len(installed) > 1:
        names = ", ".join(f"{n} {v}" for n, v in installed.items())
        yield Diagnostic(
            Status.WARN,
            f"{names} are installed together: each overwrites the other's cv2; keep one",
            {"installed": installed},
            key="several-builds",
        )
    if not gui:
        yield Diagnostic(Status.PASS, "no GUI build of OpenCV here")
        return
    if not lacking:
        yield Diagnostic(Status.PASS, f"{gui[0]} finds every library it needs")
        return
    name = gui[0]
    needer = lacking[0][1]
    facts: dict[str, Any] = {
        "distribution": name,
        "version": installed[name],
        "missing": [n for n, _ in lacking],
        "needed_by": needer,
    }
    yield Diagnostic(
        Status.FAIL,
        f"{name} {installed[name]} needs {', '.join(n for n, _ in lacking)}, which this system "
        f"does not have (needed by {needer})",
        facts,
        _fixes(ctx, name, installed[name], [n for n, _ in lacking], settings),
        key=name,
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    try:
        target = ctx.target()
        gui = [name for name in GUI_BUILDS if target.version_of(name)]
        lacking = missing(ctx) if gui else []
    except TargetError:
        return None
    if not gui or not lacking:
        return None
    version = target.version_of(gui[0]) or ""
    return _fixes(ctx, gui[0], version, [n for n, _ in lacking], settings)[0]
