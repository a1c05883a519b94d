"""DD107's examination: where the driver's libcuda.so.1 is, whether an unversioned libcuda.so
can be found beside it, what in the environment needs one, and the owned link that provides it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    LinkEdit,
    Status,
    TargetError,
    effective_env,
)

from ._child import load_in_child
from ._dynamic import DynamicInfo
from ._linkage import infos, linked, loader

if TYPE_CHECKING:
    from ._deferred import ProofSettings as Settings

# Where drivers put libcuda outside the loader's usual places: WSL2, NVIDIA's container toolkit.
DRIVER_DIRS = ("/usr/lib/wsl/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib")
NEEDERS = ("triton", "pytorch-triton", "bitsandbytes")
OWNED = "devdoctor-libcuda"
_NOTHING = DynamicInfo("EM_X86_64", 64)  # a requester with no RPATH or RUNPATH


def find(ctx: Context, env: dict[str, str], name: str, extra: tuple[str, ...] = ()) -> str | None:
    load = loader(ctx, env)
    resolved = load.resolve(name, os.path.join(ctx.target().prefix, "x"), _NOTHING)
    if resolved.path:
        return resolved.path
    for folder in (*extra, *DRIVER_DIRS):
        candidate = os.path.join(folder, name)
        if load.fits(candidate):
            return candidate
    return None


def needers(ctx: Context) -> list[str]:
    """What in the environment opens or links the unversioned name."""
    target = ctx.target()
    found = [name for name in NEEDERS if target.version_of(name)]
    if any(
        lib.info and lib.info.soname.startswith("libcudnn") and lib.info.soname.endswith(".so.8")
        for lib in linked(ctx)
    ):
        found.append("cuDNN 8")
    return found


def _fix(ctx: Context, driver: str, settings: Settings) -> Fix:
    home = ctx.location.prefix or ctx.state_dir
    if home is None:
        return Fix(
            "Link libcuda.so",
            Applicability.DISPLAY_ONLY,
            instructions="no environment prefix or state directory to hold the link",
        )
    folder = Path(home) / "lib" / OWNED
    link = folder / "libcuda.so"
    real = os.path.realpath(driver)
    python = ctx.location.python or "python3"
    timeout = settings.child_timeout

    def verify(env: Mapping[str, str]) -> str | None:
        return load_in_child(python, env, ["libcuda.so"], (), timeout)

    return Fix(
        f"Link {link} -> {real}, named by TRITON_LIBCUDA_PATH and LD_LIBRARY_PATH",
        Applicability.SAFE,
        (LinkEdit(link, None, real),),
        env=(
            EnvChange("TRITON_LIBCUDA_PATH", str(folder)),
            EnvChange("LD_LIBRARY_PATH", str(folder), EnvOp.PREPEND),
        ),
        verify=verify,
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        env = effective_env(ctx)
        driver = find(ctx, env, "libcuda.so.1")
        if driver is None:
            yield Diagnostic(Status.PASS, "no NVIDIA driver library (libcuda.so.1) here")
            return
        triton_dirs = tuple(d for d in env.get("TRITON_LIBCUDA_PATH", "").split(":") if d)
        unversioned = find(ctx, env, "libcuda.so", triton_dirs)
        users = needers(ctx)
        infos(ctx).save()
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if unversioned:
        yield Diagnostic(Status.PASS, f"libcuda.so is there: {unversioned}")
        return
    facts: dict[str, Any] = {"driver": driver, "needed_by": users}
    if not users:
        yield Diagnostic(
            Status.PASS, f"only {driver} is there, and nothing here needs libcuda.so", facts
        )
        return
    yield Diagnostic(
        Status.FAIL,
        f"only {driver} is there; {', '.join(users)} need{'s' if len(users) == 1 else ''} "
        "libcuda.so (Triton links with -lcuda, cuDNN 8 opens it by name)",
        facts,
        (_fix(ctx, driver, settings),),
        key="libcuda.so",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    try:
        env = effective_env(ctx)
        driver = find(ctx, env, "libcuda.so.1")
        if driver is None or find(ctx, env, "libcuda.so"):
            return None
    except TargetError:
        return None
    return _fix(ctx, driver, settings)
