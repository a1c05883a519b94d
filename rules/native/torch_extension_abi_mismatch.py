"""A compiled torch companion (torchvision, torchaudio, flash-attn, xformers, any extension
linking libc10/libtorch) was built for another torch, CUDA flavour or C++11 ABI.

## What it does

Finds torch's libraries in the examined environment (no import), then every other library that
links them (`DT_NEEDED` names `libc10.so` or `libtorch*.so`). For each one it lists the `c10::`,
`at::` and `torch::` symbols it needs and looks each up in torch's libraries the way the loader
does (their GNU hash tables: the 500 MB `libtorch_cpu.so` is not read whole). A symbol that
none of them exports is proof of a build for another torch; a missing name with `__cxx11` in it
points at the C++11 ABI flavour (flash-attn's `cxx11abiTRUE`/`FALSE` wheels). A companion whose
metadata pins another torch (`Requires-Dist: torch==2.3.0`) is reported too.

## Why is this bad?

The import fails with `undefined symbol: _ZN3c104cuda9SetDeviceEi`, or loads and then fails at
the first op: `operator torchvision::nms does not exist`, `xFormers can't load C++/CUDA
extensions`. `pip check` sees only the exact pins, not flash-attn, xformers or your own builds.

## Example

```
$ devdoctor check torch-extension-abi-mismatch
  ✗ DD104 torch-extension-abi-mismatch: torchvision 0.18.0 was built for torch 2.3.0; this is
    torch 2.4.1+cpu (3 symbols it needs are not exported, e.g. _ZN3c1017RegisterOperatorsD1Ev)
```

## Fix

For torchvision and torchaudio: install the release paired with the installed torch, from the
index of torch's own flavour (`+cu121` → `https://download.pytorch.org/whl/cu121`), then load
the extension in a new process of the environment's interpreter after importing torch. For
other extensions: display-only, the reinstall command (a build for this torch, or from source).

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

# c10::, at::, torch:: (also their vtables and typeinfo): what a build for another torch lacks


check, fix_from_log = deferred("_torch_abi")


RULE = Rule(
    code="DD104",
    name="torch-extension-abi-mismatch",
    summary="A compiled torch companion was built for another torch",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "undefined symbol",
            r"undefined symbol:? ?(?P<symbol>_Z(?:T[VIS])?N[KVRO]{0,3}(?:3c10|2at|5torch|4c10d)"
            r"\d\w{0,2048})",
            "an extension was built for another torch: {symbol} is not in this one",
            before="library",
            before_pattern=r".{0,4090}\.so(?:\.[0-9][0-9A-Za-z_.-]{0,64})?",
            before_required=False,
        ),
        Signature(
            ("operator", "No such operator"),
            r"(?:operator|No such operator) (?P<operator>torch(?:vision|audio|text)::\w{1,128})"
            r"(?: does not exist|\b)",
            "{operator} is missing: torchvision/torchaudio do not match torch",
        ),
        Signature(
            "load C++/CUDA extensions",
            r"load C\+\+/CUDA extensions",
            "xformers was built for another torch",
        ),
        Signature(
            ("load custom C++ ops", "torchvision versions are incompatible"),
            r"load custom C\+\+ ops|torchvision versions are incompatible",
            "torchvision's compiled ops do not match torch",
        ),
    ),
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
