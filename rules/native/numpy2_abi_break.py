"""An extension compiled against NumPy 1.x in an environment with NumPy 2.

## What it does

When the examined environment has NumPy 2 or newer (from its metadata), looks through its
compiled Python extension modules (and libraries named like `lib*python*.so`) for the NumPy
C-API import: a module built with NumPy 2's headers asks for `numpy._core._multiarray_umath`;
one built with NumPy 1.x asks only for `numpy.core._multiarray_umath` (or the older
`numpy.core.multiarray`). The files are memory-mapped and searched, never imported.

## Why is this bad?

Importing it prints `A module that was compiled using NumPy 1.x cannot be run in NumPy 2.x as
it may crash` and fails with `_ARRAY_API not found` or `numpy.core.multiarray failed to
import`. NumPy 2 often arrives as a side effect of an unrelated upgrade, and `pip check` sees
nothing: the offenders rarely declare `numpy<2`.

## Example

```
$ devdoctor check numpy2-abi-break
  ✗ DD105 numpy2-abi-break: numexpr (interpreter.cpython-311-x86_64-linux-gnu.so) was compiled
    against NumPy 1.x; this environment has numpy 2.2.6
```

## Fix

Install NumPy 1.26.4 (the last 1.x release, for Python up to 3.12), then import every offender
in a new process of the environment's interpreter. Alternative: upgrade the offending
distributions to their newest release (most have NumPy 2 builds by now).

## Fix safety

Unsafe: it changes installed packages and needs the package index; `devdoctor undo` reinstalls
the previous version.
"""

from __future__ import annotations

from devdoctor.api import (
    FixAvailability,
    Rule,
    Scope,
    Signature,
)

from ._deferred import ProofSettings, deferred

check, fix_from_log = deferred("_numpy_abi")


RULE = Rule(
    code="DD105",
    name="numpy2-abi-break",
    summary="An extension compiled against NumPy 1.x runs under NumPy 2",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # NumPy 2's message, whole or cut anywhere, re-flowed or wrapped at its own width
        Signature(
            "compiled using NumPy 1",
            r"compiled using NumPy 1\.x",
            "a module compiled against NumPy 1.x is imported under NumPy 2",
        ),
        Signature(
            "NumPy 2",
            r"NumPy 2\.\d{1,3}\.\d{1,3}\S{0,16} as it may crash",
            "a module compiled against NumPy 1.x is imported under NumPy 2",
        ),
        Signature(
            "_ARRAY_API not found",
            r"_ARRAY_API not found",
            "a module compiled against NumPy 1.x is imported under NumPy 2",
        ),
        # Also printed when numpy is older than a module needs ("compiled against API version
        # 0x10 but this version of numpy is 0xe"): only possible on its own.
        Signature(
            ("numpy.core.multiarray failed to import", "numpy.core._multiarray_umath failed"),
            r"numpy\.core\.(?:_multiarray_umath|multiarray) failed to import",
            "a module compiled against NumPy 1.x is perhaps imported under NumPy 2",
            certain=False,
            to_tell="Just above, 'compiled using NumPy 1.x' means this problem; 'compiled "
            "against API version ... but this version of numpy is ...' means numpy is older "
            "than the module needs (upgrade numpy). devdoctor check numpy2-abi-break reads the "
            "installed files",
        ),
        Signature(
            "numpy/core/_multiarray_umath.py",
            r"numpy/core/_multiarray_umath\.py\"?, line \d{1,6}, in __getattr__",
            "a module compiled against NumPy 1.x is imported under NumPy 2",
        ),
    ),
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
