"""A Hugging Face access token in the content staged for commit.

## What it does

Scans the staged content (the blobs in the index, not the working tree) of text files for
Hugging Face tokens: `hf_` followed by 34 letters or digits, and organisation tokens
`api_org_…`. Each finding names the file and line; the token itself is never printed (it is
shown as `hf_***`). A line that ends with `# devdoctor: ignore[DD304]` is allowed (a documented
fake token in a test, for instance). Hook-safe: one `git cat-file --batch`, offline.

## Why is this bad?

A pushed token is public the moment the repository is, and stays in the history after the line
is deleted. Anyone can read your private and gated models and datasets with it, or push to your
repositories if it has write access. The Hub revokes tokens it finds in public repositories, so
your own jobs break as well.

## Example

```
$ git commit -m "download script"
devdoctor (staged files)......................................Failed
  ✗ DD304 hf-token-committed: download.py:4: a Hugging Face token (hf_***) is staged
```

## Fix

Display-only: remove the token from the file, read it from the environment (`HF_TOKEN`) or from
`huggingface-cli login` instead, re-stage the file — and revoke the token at
https://huggingface.co/settings/tokens if it was ever pushed.

## Fix safety

Display-only: devdoctor never edits your secrets.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from devdoctor.api import (
    HF_TOKEN_PATTERN,
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
)

TOKEN = re.compile(HF_TOKEN_PATTERN.encode())
ALLOW = re.compile(rb"#\s*devdoctor:\s*ignore\[DD304\]\s*$")
MAX_SCAN = 5_000_000  # bytes per file: tokens live in config and code, not in data files


def check(ctx: Context, settings: None) -> Iterator[Diagnostic]:
    if ctx.repo() is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    files = [f for f in ctx.staged() if f.mode.startswith("100") and f.size <= MAX_SCAN]
    content = ctx.staged_content(files)
    found = 0
    for f in files:
        data = content.get(f.sha, b"")
        if b"\0" in data[:8000] or (b"hf_" not in data and b"api_org_" not in data):
            continue  # binary, or nothing to look at
        hits = [
            (n, match.group())
            for n, line in enumerate(data.splitlines(), 1)
            if (match := TOKEN.search(line)) and not ALLOW.search(line)
        ]
        if not hits:
            continue
        lines = [n for n, _ in hits]
        kind = "api_org_***" if hits[0][1].startswith(b"api_org_") else "hf_***"
        found += 1
        where = ", ".join(f"{f.path}:{n}" for n in lines)
        fix = Fix(
            f"Remove the token from {f.path}",
            Applicability.DISPLAY_ONLY,
            instructions="delete it, read HF_TOKEN from the environment instead, "
            f"`git add {shlex.quote(f.path)}` again, and revoke the token if it was ever pushed",
        )
        yield Diagnostic(
            Status.FAIL,
            f"{where}: a Hugging Face token ({kind}) in what git would commit",
            {"file": f.path, "lines": lines},
            (fix,),
            key=f.path,
        )
    if not found:
        yield Diagnostic(Status.PASS, f"{len(files)} staged files: no Hugging Face token")


RULE = Rule(
    code="DD304",
    name="hf-token-committed",
    summary="A Hugging Face token is staged for commit",
    scope=Scope.HOOK,
    check=check,
    fix_availability=FixAvailability.NEVER,
)
