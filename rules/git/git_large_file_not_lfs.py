"""A large file, or a model weight file, staged as raw bytes instead of a Git LFS pointer.

## What it does

Looks at what is staged for the next commit — the blobs in the index, not the working tree — and
flags every file over `max_bytes` (500 KB) or with an ML weight extension (`.safetensors .bin
.pt .pth .ckpt .onnx .gguf .h5 .pb .tflite .msgpack .npz`) whose staged blob is not a Git LFS
pointer (`version https://git-lfs.github.com/spec/v1`). It checks the blob itself: on a machine
without git-lfs, a `.gitattributes` rule alone still commits the raw bytes (pre-commit-hooks'
`check-added-large-files` only reads the attribute, so it passes them). Hook-safe: one
`git ls-files` and one `git cat-file --batch-check`, offline.

## Why is this bad?

Once pushed, a model checkpoint lives in every clone forever: the repository becomes slow to
clone and fetch, hosts reject pushes over their size limits, and removing it means rewriting
history.

## Example

```
$ git add model.safetensors && git commit -m "add weights"
devdoctor (staged files)......................................Failed
  ✗ DD303 git-large-file-not-lfs: model.safetensors: 267,874,432 bytes staged as a raw blob, not
    a Git LFS pointer
```

## Fix

Display-only: the commands that put the file in LFS — `git lfs install`, `git lfs track
"*.<ext>"`, `git add .gitattributes`, then `git rm --cached <file>` and `git add <file>` so it is
re-staged as a pointer.

## Fix safety

Display-only: it changes what you commit, so you run it.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
    setting,
)

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
POINTER_MAX = 1024  # LFS pointers are ~130 bytes; anything bigger is content


WEIGHT_EXTENSIONS = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".gguf",
    ".h5",
    ".pb",
    ".tflite",
    ".msgpack",
    ".npz",
)


@dataclass(frozen=True)
class Settings:
    max_bytes: int = setting(500_000, "staged files bigger than this must be LFS pointers")
    weight_extensions: tuple[str, ...] = setting(
        WEIGHT_EXTENSIONS, "model-weight extensions that must be LFS pointers at any size"
    )


def _suspect(path: str, size: int, settings: Settings) -> bool:
    return (
        size > settings.max_bytes or os.path.splitext(path)[1].lower() in settings.weight_extensions
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    if ctx.repo() is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    files = [
        f for f in ctx.staged() if f.mode.startswith("100") and _suspect(f.path, f.size, settings)
    ]
    small = [f for f in files if f.size <= POINTER_MAX]  # could be pointers: read those only
    content = ctx.staged_content(small)
    raw = [
        f
        for f in files
        if f.size > POINTER_MAX or not content.get(f.sha, b"").startswith(LFS_POINTER)
    ]
    for f in raw:
        ext = os.path.splitext(f.path)[1] or os.path.basename(f.path)
        pattern = f"*{ext}" if ext.startswith(".") else ext
        commands = (
            f"git lfs install && git lfs track {shlex.quote(pattern)} && "
            f"git add .gitattributes && git rm --cached -q {shlex.quote(f.path)} && "
            f"git add {shlex.quote(f.path)}"
        )
        missing = (
            ""
            if shutil.which("git-lfs")
            else "git-lfs is not installed: install it first (apt-get install git-lfs, brew "
            "install git-lfs, or https://git-lfs.com), then\n"
        )
        fix = Fix(
            f"Move {f.path} to Git LFS",
            Applicability.DISPLAY_ONLY,
            instructions=f"{missing}run: {commands}",
        )
        yield Diagnostic(
            Status.FAIL,
            f"{f.path}: {f.size:,} bytes as a raw blob in the index, not a Git LFS pointer",
            {"file": f.path, "bytes": f.size},
            (fix,),
            key=f.path,
        )
    if not raw:
        yield Diagnostic(Status.PASS, f"{len(ctx.staged())} staged files: no large raw blobs")


RULE = Rule(
    code="DD303",
    name="git-large-file-not-lfs",
    summary="A large or model-weight file is staged as raw bytes, not an LFS pointer",
    scope=Scope.HOOK,
    check=check,
    fix_availability=FixAvailability.NEVER,
    settings=Settings,
)
