"""Packages in the user site-packages (`~/.local/lib/pythonX.Y`) shadow the examined
environment's own.

## What it does

When the examined interpreter uses the user site (not a venv, `ENABLE_USER_SITE`, and no
`PYTHONNOUSERSITE` in its environment — with what devdoctor persisted), lists the distributions
installed both there and in the environment's own site-packages. The user site comes first on
`sys.path`: its copy is the one imported, whatever the environment holds.

## Why is this bad?

A conda environment imports an old `urllib3` or `numpy` from `~/.local` that a `pip install
--user` left years ago: tracebacks through `~/.local/lib/python3.10/site-packages/...`, versions
that `pip list` in the environment does not show.

## Example

```
$ devdoctor check python-user-site-shadowing
  ✗ DD505 python-user-site-shadowing: ~/.local/lib/python3.11/site-packages holds urllib3 1.26.5,
    imported before the environment's urllib3 2.2.1
```

## Fix

Persist `PYTHONNOUSERSITE=1` for the environment; a new process of its interpreter must then
leave the user site off `sys.path`. The user site itself is not touched.

## Fix safety

Safe: one variable for the environment, `devdoctor undo` removes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
)

from ._metadata import Dist, distributions, read_folder


def shadowed(ctx: Context) -> list[tuple[str, str, str]]:
    """(name, user-site version, environment version) for each distribution in both."""
    target = ctx.target()
    user = target.user_site
    if target.is_venv or not target.enable_user_site or not user:
        return []
    if effective_env(ctx).get("PYTHONNOUSERSITE"):
        return []
    if not read_folder(user):  # the common case: an empty or absent user site, read in a stat
        return []
    dists = distributions(ctx)  # the first on sys.path: the user site's copy
    others: dict[str, Dist] = {}
    for folder in target.site_packages:
        if folder != user:
            for dist in read_folder(folder):
                others.setdefault(dist.key, dist)
    return [
        (d.name, d.version, others[key].version)
        for key, d in sorted(dists.items())
        if d.folder == user and key in others
    ]


def _fix(ctx: Context) -> Fix:
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import site, sys\nsys.exit('the user site is used' if site.ENABLE_USER_SITE else 0)"
        )
        return run_script(python, script, (), env, 30.0)

    return Fix(
        "Set PYTHONNOUSERSITE=1 for this environment",
        Applicability.SAFE,
        env=(EnvChange("PYTHONNOUSERSITE", "1"),),
        verify=verify,
    )


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        found = shadowed(ctx)
        user = ctx.target().user_site
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, "nothing in the user site shadows this environment")
        return
    name, mine, theirs = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    yield Diagnostic(
        Status.FAIL,
        f"{user} holds {name} {mine}, imported before the environment's {name} {theirs}{more}",
        {"user_site": user, "shadowed": [list(f) for f in found]},
        (_fix(ctx),),
        key="user-site",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        return _fix(ctx) if shadowed(ctx) else None
    except TargetError:
        return None


RULE = Rule(
    code="DD505",
    name="python-user-site-shadowing",
    summary="User site-packages shadow the environment's packages",
    scope=Scope.ENVIRONMENT,
    check=check,
    fix_availability=FixAvailability.ALWAYS,
    signatures=(
        # a printed sys.path with the user site before an environment's site-packages
        Signature(
            ".local/lib/python",
            r"\.local/lib/python\d\.\d{1,2}/site-packages'?, '[^']{0,512}/lib/python\d\.\d{1,2}/"
            r"site-packages",
            "the user site comes before the environment's site-packages on sys.path",
        ),
        # a traceback frame or a module path in the user site
        Signature(
            ".local/lib/python",
            r"\.local/lib/python\d\.\d{1,2}/site-packages/[\w.-]{1,128}/",
            "code was imported from the user site (~/.local)",
            certain=False,
            to_tell="Did you mean to use ~/.local's copy? devdoctor check "
            "python-user-site-shadowing lists what it shadows in the environment",
        ),
    ),
    fix_from_log=fix_from_log,
)
