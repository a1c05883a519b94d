"""`/dev/shm` is too small for DataLoader workers or NCCL (Docker's default is 64 MB).

## What it does

When torch is installed in the examined environment, reads the size and the free space of
`/dev/shm` (statvfs) and fails below the `min_mb` setting (1024 MB). Container markers
(`/.dockerenv`, `/run/.containerenv`) say where the size comes from.

## Why is this bad?

DataLoader workers pass batches through shared memory: they die with `ERROR: Unexpected bus
error encountered in worker. This might be caused by insufficient shared memory (shm)`; NCCL
fails with `Error while creating shared memory segment` / `posix_fallocate failed: No space left
on device`.

## Example

```
$ devdoctor check shm-too-small
  ✗ DD405 shm-too-small: /dev/shm holds 64 MB (60 MB free) in a container; DataLoader workers
    and NCCL need more
```

## Fix

Display-only: the size is set by whoever starts the container — `docker run --shm-size=8g` (or
`--ipc=host`), `shm_size: 8gb` in docker-compose, an `emptyDir` with `medium: Memory` mounted at
`/dev/shm` in Kubernetes — or, outside a container, as root: `mount -o remount,size=8G
/dev/shm`.

## Fix safety

Display-only: no process can grow its own container's `/dev/shm`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    setting,
)

MB = 1 << 20


@dataclass(frozen=True)
class Settings:
    min_mb: int = setting(1024, "the smallest /dev/shm (MB) that passes when torch is installed")


def _fix(container: bool) -> Fix:
    steps = (
        "recreate the container with more shared memory: docker run --shm-size=8g (or "
        "--ipc=host); docker-compose: shm_size: 8gb; Kubernetes: an emptyDir with medium: "
        "Memory mounted at /dev/shm"
        if container
        else "as root: mount -o remount,size=8G /dev/shm (and in /etc/fstab to keep it)"
    )
    return Fix("Give /dev/shm more room", Applicability.DISPLAY_ONLY, instructions=steps)


def in_container(ctx: Context) -> bool:
    return any(ctx.system_path(p).exists() for p in ("/.dockerenv", "/run/.containerenv"))


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    try:
        torch = ctx.target().version_of("torch")
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    shm = ctx.system_path("/dev/shm")
    try:
        st = os.statvfs(shm)
    except OSError as exc:
        yield Diagnostic(Status.SKIP, f"cannot read {shm}: {exc.strerror}")
        return
    size, free = st.f_blocks * st.f_frsize // MB, st.f_bavail * st.f_frsize // MB
    container = in_container(ctx)
    facts: dict[str, Any] = {"size_mb": size, "free_mb": free, "container": container}
    if torch is None:
        yield Diagnostic(Status.PASS, f"/dev/shm holds {size} MB; torch is not installed", facts)
        return
    if size >= settings.min_mb:
        yield Diagnostic(Status.PASS, f"/dev/shm holds {size} MB ({free} MB free)", facts)
        return
    yield Diagnostic(
        Status.FAIL,
        f"/dev/shm holds {size} MB ({free} MB free){' in a container' if container else ''}; "
        "DataLoader workers and NCCL need more",
        facts,
        (_fix(container),),
        key="shm",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    return _fix(in_container(ctx))


RULE = Rule(
    code="DD405",
    name="shm-too-small",
    summary="/dev/shm is too small for DataLoader workers or NCCL",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            ("insufficient shared memory", "out of shared memory"),
            r"insufficient shared memory|out of shared memory",
            "a DataLoader worker ran out of shared memory (/dev/shm)",
        ),
        Signature(
            "killed by signal",
            r"killed by signal: Bus error",
            "a DataLoader worker died of a bus error: /dev/shm is full",
        ),
        Signature(
            ("Error while creating shared memory segment", "posix_fallocate failed"),
            r"Error while creating shared memory segment|posix_fallocate failed",
            "NCCL could not create its shared memory segment in /dev/shm",
        ),
        Signature(
            "exited unexpectedly",
            r"exited unexpectedly",
            "a DataLoader worker died",
            context=r"DataLoader",
            certain=False,
            to_tell="A bus error or 'shared memory' above it means /dev/shm is too small "
            "(devdoctor check shm-too-small); a segfault or an out-of-memory kill is another "
            "problem",
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
)
