"""Two copies of Intel's or LLVM's OpenMP runtime (`libiomp5`, `libomp`) in one environment.

## What it does

Lists the OpenMP runtimes the examined environment's packages bring (`libiomp5*.so` from
intel-openmp and MKL builds, `libomp*.so` from LLVM-built wheels), by real file. Two or more
distinct copies fail: when two packages that bring them are imported in one process, the second
runtime finds the first already initialized and aborts. GNU's `libgomp` (vendored by torch and
scikit-learn) does not take part in that check and is not counted.

## Why is this bad?

The process stops with `OMP: Error #15: Initializing libiomp5.so, but found libomp.so already
initialized.` The hint printed with it, `KMP_DUPLICATE_LIB_OK=TRUE`, silences the check; Intel
says this "may cause crashes or silently produce incorrect results".

## Example

```
$ devdoctor check omp-duplicate-runtime
  ✗ DD109 omp-duplicate-runtime: 2 OpenMP runtimes that refuse each other: intel-openmp
    (libiomp5.so) and faiss-cpu (libomp-3f2a.so)
```

## Fix

Display-only: keep one of the packages that bring them (or a build of it that uses the other's
runtime); with conda, install everything from one channel. Not `KMP_DUPLICATE_LIB_OK`.

## Fix safety

Display-only: which package to keep is your choice.
"""

from __future__ import annotations

from devdoctor.api import FixAvailability, Rule, Scope, Signature

from ._deferred import deferred

check, fix_from_log = deferred("_openmp")


RULE = Rule(
    code="DD109",
    name="omp-duplicate-runtime",
    summary="Two copies of Intel's or LLVM's OpenMP runtime in one environment",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.NEVER,
    signatures=(
        Signature(
            "Error #15",
            r"Error #15: Initializing (?P<runtime>[\w.+-]{1,256}), but found "
            r"(?P<other>[\w.+-]{1,256}) already initialized",
            "two OpenMP runtimes in one process: {runtime} and {other}",
        ),
    ),
    fix_from_log=fix_from_log,
)
