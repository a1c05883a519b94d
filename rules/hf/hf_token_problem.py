"""A Hugging Face token that is missing, overridden by a stale `HF_TOKEN`, stranded by a moved
`HF_HOME`/`HF_TOKEN_PATH`, or rejected by the hub (401).

## What it does

Works out, for the examined environment's variables (with what devdoctor persisted), which token
huggingface_hub would send: `HF_TOKEN` first, else the file at `HF_TOKEN_PATH` or `HF_HOME/token`
(the same resolution as `huggingface_hub.constants`). It reports a `HF_TOKEN` that differs from
the token saved by `hf auth login` (it silently wins), and a token saved in the default place
that is not read because `HF_HOME` or `HF_TOKEN_PATH` moved. Online (not with `--offline` or the
hub's offline variables), it asks the endpoint in use — and only it — whether the token is valid
(`/api/whoami-v2`). The token itself never appears in any output.

## Why is this bad?

Gated models fail with `401 Client Error` / `Cannot access gated repo`, and an invalid token
breaks even public downloads (`Invalid credentials in Authorization header`) — while `hf auth
whoami` in another shell says you are logged in.

## Example

```
$ devdoctor check hf-token-problem
  ✗ DD205 hf-token-problem: HF_TOKEN is set and differs from the token saved in
    ~/.cache/huggingface/token: it wins silently
```

## Fix

A stale `HF_TOKEN`: unset it for the environment. A stranded token: point `HF_TOKEN_PATH` at the
saved file for the environment. A rejected token: display-only (log in again: `hf auth login`).
Each is proven by huggingface_hub's own `get_token()` in a new process.

## Fix safety

Safe: one variable for the environment; `devdoctor undo` removes it. Nothing is sent anywhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    effective_env,
    run_script,
    setting,
)

from . import _paths
from ._hub import effective


@dataclass(frozen=True)
class Settings:
    timeout: float = setting(5.0, "seconds the token validity probe may take")


def _read(path: Any) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _proven(expect: str) -> Any:
    """verify(): huggingface_hub's get_token() in a new process returns the expected one."""

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import sys\nfrom huggingface_hub import get_token\n"
            "sys.exit(0 if (get_token() or '') == sys.argv[1] else 'another token is used')"
        )
        return run_script(sys.executable, script, (expect,), env, 60.0)

    return verify


def rejected(endpoint: str, token: str, timeout: float) -> bool | None:
    """Whether the endpoint in use says 401 to this token (None: it could not be asked)."""
    import urllib.error  # only when the check goes online: 13 ms of imports
    import urllib.request

    request = urllib.request.Request(
        endpoint.rstrip("/") + "/api/whoami-v2", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            json.loads(reply.read(1 << 16) or b"{}")
            return False
    except urllib.error.HTTPError as exc:
        return exc.code == 401
    except (OSError, ValueError):
        return None


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    env = effective_env(ctx)
    default_file = _paths.hf_home({k: v for k, v in env.items() if k != "HF_HOME"}) / "token"
    file = _paths.token_path(env)
    saved = _read(file)
    variable = env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN")
    if variable and saved and variable != saved:
        yield Diagnostic(
            Status.FAIL,
            f"HF_TOKEN is set and differs from the token saved in {file}: it wins silently",
            {"token_file": str(file)},
            (
                Fix(
                    "Unset HF_TOKEN for this environment",
                    Applicability.SAFE,
                    env=(EnvChange("HF_TOKEN", "", EnvOp.UNSET),),
                    verify=_proven(saved),
                ),
            ),
            key="override",
        )
        return
    stranded = _read(default_file) if default_file != file else None
    if not variable and not saved and stranded:
        yield Diagnostic(
            Status.FAIL,
            f"the token saved in {default_file} is not read: huggingface_hub looks in {file}",
            {"token_file": str(file), "saved_in": str(default_file)},
            (
                Fix(
                    f"Set HF_TOKEN_PATH={default_file} for this environment",
                    Applicability.SAFE,
                    env=(EnvChange("HF_TOKEN_PATH", str(default_file)),),
                    verify=_proven(stranded),
                ),
            ),
            key="stranded",
        )
        return
    token = variable or saved
    if token is None:
        yield Diagnostic(Status.PASS, "no token: public repositories only (gated ones need one)")
        return
    if ctx.offline or _paths.offline(env):
        yield Diagnostic(Status.PASS, "a token is set (not checked with the hub: offline)")
        return
    endpoint = effective(env)
    verdict = rejected(endpoint, token, settings.timeout)
    if verdict:
        where = "HF_TOKEN" if variable else str(file)
        yield Diagnostic(
            Status.FAIL,
            f"{endpoint} rejects the token from {where} (401): even public downloads fail",
            {"endpoint": endpoint, "token_from": where},
            (
                Fix(
                    "Log in again",
                    Applicability.DISPLAY_ONLY,
                    instructions="run: hf auth login (and unset HF_TOKEN if it holds the old one)",
                ),
            ),
            key="rejected",
        )
        return
    said = "valid" if verdict is False else "not checked (the hub did not answer)"
    yield Diagnostic(Status.PASS, f"the token is {said}")


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    for diag in check(ctx, settings):
        return diag.fix
    return None


RULE = Rule(
    code="DD205",
    name="hf-token-problem",
    summary="A Hugging Face token missing, overridden, stranded or rejected",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        Signature(
            ("GatedRepoError", "Cannot access gated repo", "trying to access a gated repo"),
            r"GatedRepoError|Cannot access gated repo|trying to access a gated repo",
            "a gated repository needs a token with access",
        ),
        Signature(
            "is restricted",
            r"is restricted\. You must (?:have access to it and )?be authenticated",
            "a gated repository needs a token with access",
        ),
        Signature(
            ("Invalid credentials in Authorization header", "401 Client Error"),
            r"Invalid credentials in Authorization header|401 Client Error",
            "the hub rejects the token (401)",
            context=r"huggingface|hf_hub|hf\.co|Authorization|gated",
        ),
    ),
    settings=Settings,
    fix_from_log=fix_from_log,
)
