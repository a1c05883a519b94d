"""Building or JIT-compiling a CUDA extension needs a CUDA toolkit (`CUDA_HOME`, `nvcc`) that is
missing or does not match torch's CUDA.

## What it does

For a CUDA build of torch, finds the toolkit `torch.utils.cpp_extension` would use — `CUDA_HOME`
(or `CUDA_PATH`), else the `nvcc` on `PATH` — and its version (its `version.json`, else `nvcc
--version`). A `CUDA_HOME` without `bin/nvcc`, or a toolkit whose major version differs from
torch's CUDA, fails. Also lists the toolkits on the machine (`/usr/local/cuda-X.Y`, the conda
environment's, pip's `nvidia/cuda_nvcc`) to offer the matching one.

## Why is this bad?

`pip install flash-attn`, deepspeed's ops, apex or any `load()`/`CUDAExtension` build stops with
`OSError: CUDA_HOME environment variable is not set` or `The detected CUDA version (12.1)
mismatches the version that was used to compile PyTorch (11.8)`.

## Example

```
$ devdoctor check cuda-toolkit-for-extension-builds
  ✗ DD403 cuda-toolkit-for-extension-builds: CUDA_HOME=/usr/local/cuda-12.1 is CUDA 12.1;
    torch 2.3.1+cu118 was built with 11.8
```

## Fix

When a toolkit of torch's CUDA major version is on the machine: set `CUDA_HOME` to it and put its
`bin` first in `PATH` for this environment, then run its `nvcc --version` in a new process.
Otherwise display-only: how to install one (`conda install -c nvidia cuda-toolkit=11.8`).

## Fix safety

Safe: variables persisted for the environment, proven in a new process; `devdoctor undo` removes
them.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
)

from ._torchbuild import torch_build

RELEASE = re.compile(r"release (\d+)\.(\d+)")


def toolkit_version(root: str) -> tuple[int, int] | None:
    """A toolkit's CUDA version: its version.json, version.txt, else what its nvcc says."""
    try:
        with open(os.path.join(root, "version.json"), encoding="utf-8") as f:
            text = json.load(f)["cuda"]["version"]
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, "version.txt"), encoding="utf-8") as f:
            found = re.search(r"(\d+)\.(\d+)", f.read())
        if found:
            return int(found.group(1)), int(found.group(2))
    except OSError:
        pass
    try:
        out = subprocess.run(
            [os.path.join(root, "bin", "nvcc"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = RELEASE.search(out)
    return (int(found.group(1)), int(found.group(2))) if found else None


def candidates(ctx: Context) -> list[str]:
    """Toolkit roots on this machine that hold an nvcc."""
    target = ctx.target()
    roots = sorted(glob.glob(str(ctx.system_path("/usr/local")) + "/cuda*"), reverse=True)
    roots.append(target.prefix)  # a conda environment's cuda-toolkit
    roots += [os.path.join(site, "nvidia", "cuda_nvcc") for site in target.site_packages]
    return [r for r in dict.fromkeys(roots) if os.path.isfile(os.path.join(r, "bin", "nvcc"))]


def in_use(ctx: Context) -> tuple[str | None, str]:
    """(root, how it was chosen), as torch.utils.cpp_extension finds it."""
    for name in ("CUDA_HOME", "CUDA_PATH"):
        if effective_env(ctx).get(name):
            return effective_env(ctx)[name], name
    nvcc = shutil.which("nvcc", path=effective_env(ctx).get("PATH", ""))
    if nvcc:
        return os.path.dirname(os.path.dirname(os.path.realpath(nvcc))), "nvcc on PATH"
    return None, ""


def _fix(ctx: Context, need: tuple[int, int]) -> Fix:
    match = [r for r in candidates(ctx) if (v := toolkit_version(r)) and v[0] == need[0]]
    if not match:
        wanted = f"{need[0]}.{need[1]}"
        return Fix(
            f"Install a CUDA {wanted} toolkit",
            Applicability.DISPLAY_ONLY,
            instructions=f"install CUDA toolkit {wanted} (conda install -c nvidia "
            f"cuda-toolkit={wanted}, or NVIDIA's installer), then set CUDA_HOME to it",
        )
    root = match[0]
    nvcc = os.path.join(root, "bin", "nvcc")

    def verify(env: Mapping[str, str]) -> str | None:
        found = shutil.which("nvcc", path=env.get("PATH", ""))
        if found is None or os.path.realpath(found) != os.path.realpath(nvcc):
            return f"nvcc on PATH is {found or 'missing'}, not {nvcc}"
        try:
            out = subprocess.run(
                [found, "--version"],
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{found} --version failed: {exc}"
        got = RELEASE.search(out)
        return None if got and int(got.group(1)) == need[0] else f"{found} says: {out.strip()}"

    return Fix(
        f"Use the CUDA toolkit at {root} (CUDA_HOME, PATH)",
        Applicability.SAFE,
        env=(
            EnvChange("CUDA_HOME", root),
            EnvChange("PATH", os.path.join(root, "bin"), EnvOp.PREPEND),
        ),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        torch = torch_build(ctx)
        need = torch.cuda_tuple if torch else None
        root, how = in_use(ctx)
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if torch is None or need is None:
        yield Diagnostic(Status.PASS, "no CUDA build of torch here: no toolkit needed")
        return
    facts: dict[str, Any] = {
        "torch": torch.version,
        "torch_cuda": torch.cuda,
        "toolkit": root,
        "chosen_by": how,
    }
    if root is None:
        yield Diagnostic(
            Status.PASS,
            "no CUDA toolkit is set up; building CUDA extensions would need one "
            f"(CUDA {torch.cuda})",
            facts,
        )
        return
    if not os.path.isfile(os.path.join(root, "bin", "nvcc")):
        yield Diagnostic(
            Status.FAIL, f"{how}={root} has no bin/nvcc", facts, (_fix(ctx, need),), key="toolkit"
        )
        return
    version = toolkit_version(root)
    facts["toolkit_cuda"] = f"{version[0]}.{version[1]}" if version else None
    if version is None or version[0] == need[0]:
        yield Diagnostic(
            Status.PASS, f"the toolkit at {root} fits torch's CUDA {torch.cuda}", facts
        )
        return
    yield Diagnostic(
        Status.FAIL,
        f"{how} gives {root}, CUDA {version[0]}.{version[1]}; torch {torch.version} was built "
        f"with {torch.cuda}",
        facts,
        (_fix(ctx, need),),
        key="toolkit",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        torch = torch_build(ctx)
    except TargetError:
        return None
    need = torch.cuda_tuple if torch else None
    return _fix(ctx, need) if need else None


RULE = Rule(
    code="DD403",
    name="cuda-toolkit-for-extension-builds",
    summary="Building a CUDA extension needs a toolkit that is missing or does not match torch",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            "CUDA_HOME environment variable is not set",
            r"CUDA_HOME environment variable is not set",
            "no CUDA toolkit found to build an extension (CUDA_HOME is not set)",
        ),
        Signature(
            ("detected CUDA version", "CUDA_MISMATCH_MESSAGE"),
            r"detected CUDA version \((?P<toolkit>[\d.]{1,10})\) mismatches the version that was "
            r"used to compile\s{1,8}PyTorch \((?P<torch>[\d.]{1,10})\)|CUDA_MISMATCH_MESSAGE",
            "the CUDA toolkit does not match the CUDA torch was built with",
        ),
        Signature(
            "_join_cuda_home",
            r"_join_cuda_home",
            "building an extension looked for the CUDA toolkit",
            certain=False,
            to_tell="The error below it says what was missing; devdoctor check "
            "cuda-toolkit-for-extension-builds finds the toolkits on this machine",
        ),
    ),
    fix_from_log=fix_from_log,
)
