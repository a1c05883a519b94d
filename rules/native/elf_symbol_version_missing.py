"""A library needs a symbol version that the copy of its dependency which would load does not
define.

## What it does

Reads every shared library in the examined environment's site-packages: the versions each one
needs from each dependency (`VERNEED`: `GLIBCXX_3.4.30` from `libstdc++.so.6`, `GLIBC_2.33`
from `libc.so.6`, or a library's own `MYLIB_2.0`). For each dependency it works out which file
the loader would open — LD_LIBRARY_PATH (with what devdoctor persisted for the environment), the
library's RUNPATH/RPATH and the interpreter's, `/etc/ld.so.cache`, the default directories — and
reads the versions that file defines (`VERDEF`). Nothing is loaded or imported.

## Why is this bad?

The import fails with `version 'GLIBCXX_3.4.30' not found (required by ...)`. Typical causes: a
conda environment's older `libstdc++.so.6` found before the system's newer one (or the
reverse), a wheel built for a newer glibc than the system has, an older copy of a library that
`LD_LIBRARY_PATH` puts in front.

## Example

```
$ devdoctor check elf-symbol-version-missing
  ✗ DD103 elf-symbol-version-missing: site-packages/fastllm/libfastllm.so needs GLIBCXX_3.4.30
    from libstdc++.so.6, and the copy that loads (/opt/conda/envs/llm/lib/libstdc++.so.6, by
    the interpreter's RPATH) does not define it
```

## Fix

When another copy of the library on this machine defines every version needed: for the C++
runtime (`libstdc++`, `libgcc_s`, backward compatible by design) preload that copy for this
environment; for any other library put its directory first in `LD_LIBRARY_PATH`. The failing
library is then loaded in a new process of the environment's interpreter. A `GLIBC_` gap is
display-only: the system's C library cannot be swapped; the way out is a wheel built for an
older glibc (its manylinux tag) or a newer system or container.

## Fix safety

Safe: one variable persisted for the environment (`--target`), proven in a new process, and
`devdoctor undo` removes it.
"""

from __future__ import annotations

from devdoctor.api import (
    FixAvailability,
    Rule,
    Scope,
    Signature,
)

from ._deferred import ProofSettings, deferred

check, fix_from_log = deferred("_symbol_versions")


RULE = Rule(
    code="DD103",
    name="elf-symbol-version-missing",
    summary="A library needs a symbol version the copy that loads does not define",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # glibc's loader: `<provider>: version `V' not found (required by <consumer>)`; the
        # quotes change with how it was pasted, the provider may be cut off.
        Signature(
            "version",
            r"version [`'\"]?(?P<version>[A-Za-z_][\w.@+-]{0,62}_v?\d[\w.]{0,20})[`'\"]? not found"
            r"(?: ?\(required by (?P<required_by>[^)\s]{1,4096})\))?",
            "a library needs symbol version {version}, which the copy that loads does not define",
            before="provider",
            before_pattern=r".{0,4090}\.so(?:\.[0-9][0-9A-Za-z_.-]{0,64})?",
            before_required=False,
        ),
    ),
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
