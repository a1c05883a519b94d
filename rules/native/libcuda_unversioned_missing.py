"""Only `libcuda.so.1` is there, not the unversioned `libcuda.so` that Triton links with and
cuDNN 8 opens.

## What it does

Finds the NVIDIA driver's `libcuda.so.1` as the loader would (`LD_LIBRARY_PATH`, the ld.so
cache, the default directories, WSL's `/usr/lib/wsl/lib`, containers' `/usr/local/nvidia/lib64`).
When it is there, looks for `libcuda.so` in the same places and in `TRITON_LIBCUDA_PATH`. Fails
when only the versioned name exists and something in the examined environment needs the other:
Triton (`torch.compile`, vLLM), cuDNN 8, bitsandbytes. No driver: it passes, quickly.

## Why is this bad?

Driver installs in containers, from the runfile and on WSL often ship only `libcuda.so.1`
(`libcuda.so` comes with the development package). Triton compiles its launcher with `-lcuda`
and fails with `/usr/bin/ld: cannot find -lcuda`; cuDNN 8 and old bitsandbytes open
`libcuda.so` by name: `libcuda.so: cannot open shared object file`.

## Example

```
$ devdoctor check libcuda-unversioned-missing
  ✗ DD107 libcuda-unversioned-missing: only /usr/lib/x86_64-linux-gnu/libcuda.so.1 is there;
    triton links with -lcuda and finds no libcuda.so
```

## Fix

A folder of devdoctor's own in the environment (`<prefix>/lib/devdoctor-libcuda/`) holding a
link `libcuda.so` → the driver's `libcuda.so.1`, with `TRITON_LIBCUDA_PATH` naming it (Triton
reads it) and the folder first in `LD_LIBRARY_PATH` (for `dlopen("libcuda.so")`). Then
`libcuda.so` is opened by name in a new process of the environment's interpreter. No root.

## Fix safety

Safe: a new link in a new folder and two variables for the environment; `devdoctor undo`
removes the link, the folder and the variables.
"""

from __future__ import annotations

from devdoctor.api import FixAvailability, Rule, Scope, Signature

from ._deferred import ProofSettings, deferred

check, fix_from_log = deferred("_libcuda", needs_libraries=False)  # the driver is not there


RULE = Rule(
    code="DD107",
    name="libcuda-unversioned-missing",
    summary="Only libcuda.so.1 is there, not the libcuda.so Triton and cuDNN 8 need",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # GNU ld, with or without the reason newer binutils append
        Signature(
            "cannot find -lcuda",
            r"cannot find -lcuda(?![\w.+-])",
            "the linker finds no libcuda.so (only the driver's libcuda.so.1?)",
        ),
        Signature(
            "libcuda.so",
            r"libcuda\.so(?:: cannot open shared object file| cannot found)",
            "libcuda.so (unversioned) cannot be opened",
        ),
        Signature(
            "libcuda.so",
            r"(?:(?<=CDLL\(\")|(?<=CDLL\('))libcuda\.so[\"']\)",
            "a library opens libcuda.so by its unversioned name",
            certain=False,
            to_tell="The next line says whether it failed ('libcuda.so: cannot open shared "
            "object file'); devdoctor check libcuda-unversioned-missing looks at the files",
        ),
    ),
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
