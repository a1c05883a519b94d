"""A soft open-files limit low enough to break DataLoader's file-descriptor sharing.

## What it does

Reads the soft and hard `RLIMIT_NOFILE` that processes started from here inherit, and fails
below the `min_soft` setting (4096): DataLoader workers pass each tensor as a file descriptor
by default, so a loader with many workers and prefetching opens thousands.

## Why is this bad?

`OSError: [Errno 24] Too many open files`, or `RuntimeError: unable to open shared memory
object </torch_...> in read-write mode` after a while of training.

## Example

```
$ devdoctor check too-many-open-files
  ✗ DD510 too-many-open-files: the soft open-files limit is 1024 (hard 1048576)
```

## Fix

Display-only: raise the soft limit up to the hard one in the shell that starts training
(`ulimit -n 65536`), or for the user in `/etc/security/limits.conf`; in code,
`torch.multiprocessing.set_sharing_strategy("file_system")`.

## Fix safety

Display-only: a process cannot raise its parent shell's limit.
"""

from __future__ import annotations

import resource
import shlex
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
    setting,
)


@dataclass(frozen=True)
class Settings:
    min_soft: int = setting(4096, "the smallest soft open-files limit that passes")


def _fix(hard: int) -> Fix:
    wanted = 65536 if hard == resource.RLIM_INFINITY or hard >= 65536 else hard
    return Fix(
        "Raise the open-files limit",
        Applicability.DISPLAY_ONLY,
        instructions=f"run: {shlex.join(['ulimit', '-n', str(wanted)])} in the shell that starts "
        "training (for the user: /etc/security/limits.conf), or in code: "
        "torch.multiprocessing.set_sharing_strategy('file_system')",
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    facts = {"soft": soft, "hard": hard}
    shown = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    if soft == resource.RLIM_INFINITY or soft >= settings.min_soft:
        yield Diagnostic(Status.PASS, f"the soft open-files limit is {soft}", facts)
        return
    yield Diagnostic(
        Status.FAIL,
        f"the soft open-files limit is {soft} (hard {shown})",
        facts,
        (_fix(hard),),
        key="nofile",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    return _fix(resource.getrlimit(resource.RLIMIT_NOFILE)[1])


RULE = Rule(
    code="DD510",
    name="too-many-open-files",
    summary="A soft open-files limit low enough to break DataLoader workers",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            ("Errno 24", "Too many open files"),
            r"Errno 24\]|Too many open files",
            "the open-files limit was reached",
        ),
        Signature(
            "unable to open shared memory object",
            r"unable to open shared memory object <?/torch_\d{1,10}_\d{1,12}>? in read-write mode",
            "a DataLoader worker could not share a tensor",
            certain=False,
            to_tell="Too low an open-files limit (ulimit -n; devdoctor check too-many-open-files) "
            "or a full /dev/shm (devdoctor check shm-too-small) both give it",
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
)
