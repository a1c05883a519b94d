"""The Hugging Face caches (HF_HOME, HF_HUB_CACHE, HF_DATASETS_CACHE, TMPDIR) sit on a
partition too small for what is being downloaded.

## What it does

Resolves each cache folder huggingface_hub and datasets would use for the examined environment
(the library's own resolution, with that environment's variables) and the free space of the
file system under each; fails below the `min_free_gb` setting (10 GB). From a log it reads the
expected file size huggingface_hub printed.

## Why is this bad?

`UserWarning: Not enough free disk space to download the file. The expected file size is:
3945.44 MB. The target location .../blobs only has 3421.60 MB free disk space.`, then `OSError:
[Errno 28] No space left on device` in the middle of a multi-GB download — often a container's
root file system, or a home directory quota, while a large data disk is mounted elsewhere.

## Example

```
$ devdoctor check hf-cache-disk-full
  ✗ DD207 hf-cache-disk-full: the hub cache /root/.cache/huggingface/hub has 3.3 GB free (on /)
```

## Fix

Move `HF_HOME` for the environment to the file system with the most free space among the mounted
ones (named in the fix; `--target` persists it), so new downloads land there. The cache already
downloaded is not moved or deleted. A new process must see the new location.

## Fix safety

Safe: one variable; nothing is deleted; `devdoctor undo` removes it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    effective_env,
    run_script,
    setting,
)

from . import _paths

GB = 1 << 30


@dataclass(frozen=True)
class Settings:
    min_free_gb: float = setting(10.0, "the least free space (GB) a cache's file system may have")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def caches(env: Mapping[str, str]) -> dict[str, Path]:
    return {
        "hub cache": _paths.hub_cache(env),
        "datasets cache": _paths.datasets_cache(env),
        "temporary folder": Path(env.get("TMPDIR") or "/tmp"),
    }


def roomiest(exclude: int) -> Path | None:
    """The writable mount with the most free space, other than the device `exclude`."""
    import psutil  # only when a fix is planned

    best: tuple[int, Path] | None = None
    for part in psutil.disk_partitions(all=False):
        mount = Path(part.mountpoint)
        try:
            if os.stat(mount).st_dev == exclude or not os.access(mount, os.W_OK):
                continue
            free = shutil.disk_usage(mount).free
        except OSError:
            continue
        if best is None or free > best[0]:
            best = (free, mount)
    return best[1] if best else None


def _fix(ctx: Context, cache: Path) -> Fix | None:
    try:
        device = os.stat(_existing(cache)).st_dev
    except OSError:
        return None
    mount = roomiest(device)
    if mount is None:
        return None
    target = mount / "huggingface"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import sys\nfrom huggingface_hub import constants\n"
            "sys.exit(0 if constants.HF_HOME == sys.argv[1] else constants.HF_HOME)"
        )
        return run_script(sys.executable, script, (str(target),), env, 60.0)

    return Fix(
        f"Set HF_HOME={target} for this environment ({mount} has the most room)",
        Applicability.SAFE,
        env=(EnvChange("HF_HOME", str(target)),),
        verify=verify,
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    env = effective_env(ctx)
    short = []
    for name, path in caches(env).items():
        try:
            free = shutil.disk_usage(_existing(path)).free
        except OSError:
            continue
        if free < settings.min_free_gb * GB:
            short.append((name, path, free))
    if not short:
        yield Diagnostic(Status.PASS, f"each cache has at least {settings.min_free_gb:g} GB free")
        return
    name, path, free = short[0]
    fix = _fix(ctx, path) if name != "temporary folder" else None
    yield Diagnostic(
        Status.FAIL,
        f"the {name} {path} has {free / GB:.1f} GB free",
        {"caches": [{"name": n, "path": str(p), "free_gb": round(f / GB, 2)} for n, p, f in short]},
        (fix,)
        if fix
        else (
            Fix(
                "Free space or move the cache",
                Applicability.DISPLAY_ONLY,
                instructions="set HF_HOME to a folder on a larger disk",
            ),
        ),
        key=str(path),
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    return _fix(ctx, _paths.hub_cache(effective_env(ctx)))


RULE = Rule(
    code="DD207",
    name="hf-cache-disk-full",
    summary="The Hugging Face caches sit on a partition too small for the download",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            ("Not enough free disk space to download the file", "free disk space"),
            r"Not enough free disk space to download the file\. The expected file size is: "
            r"(?P<needed>[\d.]{1,12} MB)|(?<=MB )free disk space",
            "the download does not fit in the cache's file system",
        ),
        Signature(
            ("Errno 28", "No space left on device"),
            r"Errno 28\]|No space left on device",
            "the disk is full during a download to the Hugging Face cache",
            context=r"huggingface|hf_hub|/hub/|models--|datasets",
        ),
        Signature(
            ("Errno 28", "No space left on device"),
            r"Errno 28\]|No space left on device",
            "a disk is full",
            certain=False,
            to_tell="Which folder filled up? If it is the Hugging Face cache (HF_HOME), devdoctor "
            "check hf-cache-disk-full proposes a larger one; /dev/shm is shm-too-small",
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
)
