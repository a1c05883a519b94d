"""A CUDA library that torch's nvidia-* wheels ship resolves to another copy (LD_LIBRARY_PATH,
a system CUDA, the ld.so cache).

## What it does

Lists the libraries the examined environment's `nvidia-*` wheels install
(`site-packages/nvidia/*/lib`: cuBLAS, cuDNN, nvJitLink, NCCL, cuSPARSE…) by their SONAME. For
every library of torch and of those wheels that needs one of them, it works out which file the
loader would open — `LD_LIBRARY_PATH` (with what devdoctor persisted for the environment), the
requester's RUNPATH (`$ORIGIN/../../nvidia/...`), `/etc/ld.so.cache`. A copy from outside the
wheels that wins is reported with the reason it wins and the wheel's copy it hides.

## Why is this bad?

The wheels are built and tested as a set. An older system copy in front gives `undefined symbol:
__nvJitLinkAddData_12_4, version libnvJitLink.so.12`, `cublasLt…, version libcublasLt.so.11` or
`cuDNN version incompatibility: PyTorch was compiled against (8, 5, 0) but found runtime
version (8, 3, 3)` — often because `LD_LIBRARY_PATH=/usr/local/cuda/lib64` was set for
something else.

## Example

```
$ devdoctor check nvidia-lib-version-skew
  ✗ DD106 nvidia-lib-version-skew: libnvJitLink.so.12 loads from /usr/local/cuda-12.1/lib64
    (by LD_LIBRARY_PATH), not from the nvidia-nvjitlink-cu12 wheel torch uses
```

## Fix

Put the wheels' library directories first in `LD_LIBRARY_PATH` for this environment (persisted
with `--target`), then load the library in a new process of the environment's interpreter and
read `/proc/self/maps` to see the wheels' copies mapped. Other programs keep the system CUDA.

## Fix safety

Safe: one variable persisted for the environment, proven in a new process; `devdoctor undo`
removes it.
"""

from __future__ import annotations

from devdoctor.api import (
    FixAvailability,
    Rule,
    Scope,
    Signature,
)

from ._deferred import ProofSettings, deferred

CUDA_LIBS = (
    r"lib(?:nvJitLink|cublas(?:Lt)?|cudnn\w{0,24}|cusparse(?:Lt)?|cusolver|cufft|curand|nccl|"
    r"cudart|nvrtc|cupti|nvToolsExt)\.so\.\d{1,3}"
)


check, fix_from_log = deferred("_cuda_shadow")


SIGNATURES = (
    # the loader, when the copy that won lacks a versioned symbol the wheels' libraries need
    Signature(
        "undefined symbol",
        r"undefined symbol:? ?(?P<symbol>\w{1,256}), version (?P<library>" + CUDA_LIBS + ")",
        "{library} is another copy than torch's wheels ship: it lacks {symbol}",
    ),
    # torch's own check of cuDNN (the double space after "compiled" is in torch's message)
    Signature(
        ("cuDNN version incompatibility", "cuDNN version mismatch"),
        r"cuDNN version (?:incompatibility|mismatch): PyTorch was compiled\s{1,2}against "
        r"(?P<built>\(?[\d, ]{1,20}\)?) but (?:found runtime|linked against)(?: version)? "
        r"(?P<found>\(?[\d, ]{1,20}\)?)",
        "torch was built with cuDNN {built} but finds {found}: another cuDNN is in front",
    ),
    # ldd's listing: a CUDA library resolved outside the wheels is only possibly the problem
    Signature(
        ("libnvJitLink", "libcublas", "libcudnn", "libcusparse", "libnccl", "libcudart"),
        r"(?P<library>" + CUDA_LIBS + r") => (?P<path>/\S{1,1024})",
        "{library} resolves to {path}, perhaps in front of torch's own copy",
        unless=r"=> \S{0,1024}(?:site|dist)-packages/nvidia/",
        certain=False,
        to_tell="If torch came from pip with nvidia-* wheels, {path} hides their copy: "
        "devdoctor check nvidia-lib-version-skew says which copy the loader picks and why",
    ),
)


RULE = Rule(
    code="DD106",
    name="nvidia-lib-version-skew",
    summary="A CUDA library of torch's nvidia-* wheels loads from another copy",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=SIGNATURES,
    settings=ProofSettings,
    fix_from_log=fix_from_log,
)
