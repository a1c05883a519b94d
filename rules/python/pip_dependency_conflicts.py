"""Installed distributions violate each other's declared requirements (what `pip check` reports).

## What it does

Reads every distribution's `Requires-Dist` from its metadata in the examined environment and
evaluates each requirement with `packaging`, markers against the examined interpreter (not
devdoctor's): a required distribution that is missing, or installed at a version outside the
range, is a conflict — the same list `pip check` prints, torch's `nvidia-*` pins included. It
goes further: for each conflict it names the installed packages whose own requirements the
installed version does satisfy (the ones that pulled it in), and the range that satisfies every
dependent.

## Why is this bad?

The next import or call fails in the code of the package whose requirement is broken, often far
from the install that broke it: a `pip install X` upgraded a shared dependency past another
package's upper bound.

## Example

```
$ devdoctor check pip-dependency-conflicts
  ✗ DD501 pip-dependency-conflicts: requests 2.31.0 requires urllib3<3,>=1.21.1; urllib3 1.20
    is installed
```

## Fix

Install the newest release of the conflicting distribution that satisfies every dependent (the
intersection of their ranges), then run `pip check` in a new process of the environment's
interpreter. No range satisfies everyone: display-only, which packages disagree.

## Fix safety

Unsafe: it changes installed packages and needs the package index; `devdoctor undo` reinstalls
the previous version and says what the change pulled in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    PackageAdd,
    PackageEdit,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    run_script,
)

from ._metadata import Dist, by_installed, canonical, distributions, marker_env


def requirements(ctx: Context) -> dict[str, list[tuple[Dist, Any]]]:
    """required key -> [(dependent, Requirement)] for the requirements that apply here."""
    from packaging.markers import InvalidMarker, UndefinedEnvironmentName
    from packaging.requirements import InvalidRequirement, Requirement

    env = marker_env(ctx.target())
    needed: dict[str, list[tuple[Dist, Any]]] = {}
    for dist in distributions(ctx).values():
        for text in dist.requires:
            try:
                req = Requirement(text)
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
            except (InvalidRequirement, InvalidMarker, UndefinedEnvironmentName):
                continue
            needed.setdefault(canonical(req.name), []).append((dist, req))
    return needed


def conflicts(ctx: Context) -> list[dict[str, Any]]:
    dists = distributions(ctx)
    found = []
    for key, dependents in sorted(requirements(ctx).items()):
        installed = dists.get(key)
        for dist, req in dependents:
            if installed is None or not req.specifier.contains(installed.version, prereleases=True):
                others = [
                    f"{d.name} ({r.specifier or 'any'})"
                    for d, r in dependents
                    if installed
                    and r.specifier.contains(installed.version, prereleases=True)
                    and d is not dist
                ]
                found.append(
                    {
                        "dependent": f"{dist.name} {dist.version}",
                        "requires": str(req).split(";")[0].strip(),
                        "name": req.name,
                        "installed": installed.version if installed else None,
                        "pulled_in_by": others,
                        "key": key,
                    }
                )
    return found


def _fix(ctx: Context, key: str, found: list[dict[str, Any]]) -> Fix:
    from packaging.specifiers import SpecifierSet

    dependents = requirements(ctx).get(key, [])
    wanted = SpecifierSet()
    for _, req in dependents:
        wanted &= req.specifier
    name = dependents[0][1].name if dependents else key
    installed = distributions(ctx).get(key)
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        script = (
            "import subprocess, sys\nout = subprocess.run([sys.executable, '-m', 'pip', 'check'],"
            " capture_output=True, text=True).stdout\n"
            f"bad = [l for l in out.splitlines() if {name.lower()!r} in l.lower()]\n"
            "sys.exit('; '.join(bad) if bad else 0)"
        )
        return run_script(python, script, (), env, 120.0)

    edit: PackageEdit | PackageAdd = (
        PackageEdit(python, name, installed.version, None, spec=str(wanted))
        if installed
        else PackageAdd(python, name, str(wanted))
    )
    title = f"Install {name}{wanted or ''} (what every dependent accepts)"
    return Fix(title, Applicability.UNSAFE, (edit,), verify=verify)


def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
    try:
        found, count = by_installed(
            ctx, "conflicts", lambda: (conflicts(ctx), len(distributions(ctx)))
        )
    except TargetError as exc:
        yield Diagnostic(Status.SKIP, f"cannot examine the environment: {exc}")
        return
    if not found:
        yield Diagnostic(Status.PASS, f"the {count} distributions' requirements are all met")
        return
    for key in dict.fromkeys(c["key"] for c in found):
        mine = [c for c in found if c["key"] == key]
        first = mine[0]
        have = (
            f"{first['name']} {first['installed']} is installed"
            if first["installed"]
            else (f"{first['name']} is not installed")
        )
        pulled = (
            f" (what {', '.join(first['pulled_in_by'])} require)" if first["pulled_in_by"] else ""
        )
        yield Diagnostic(
            Status.FAIL,
            f"{first['dependent']} requires {first['requires']}; {have}{pulled}",
            {"conflicts": mine},
            (_fix(ctx, key, mine),),
            key=key,
        )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
    try:
        found = conflicts(ctx)
    except TargetError:
        return None
    name = canonical(str(facts.get("name", "")))
    mine = [c for c in found if c["key"] == name] or found
    return _fix(ctx, mine[0]["key"], mine) if mine else None


RULE = Rule(
    code="DD501",
    name="pip-dependency-conflicts",
    summary="Installed distributions violate each other's requirements",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    signatures=(
        # pip's resolver after an install, and `pip check`
        Signature(
            "dependency resolver does not currently take into account",
            r"dependency resolver does not currently take into account all the packages",
            "pip installed something that breaks another package's requirements",
        ),
        Signature(
            "has requirement",
            r"has requirement (?P<requirement>[^,;\s]{1,128}(?:,[^,;\s]{1,64}){0,8}), but you "
            r"have (?P<name>[\w.-]{1,128}) (?P<installed>[\w.+!-]{1,64})",
            "{name} {installed} does not meet {requirement}",
        ),
        Signature(
            "requires",
            r"requires (?P<requirement>[\w.-]{1,128}[^,\s]{0,128}), but you have "
            r"(?P<name>[\w.-]{1,128}) (?P<installed>[\w.+!-]{1,64}) which is incompatible",
            "{name} {installed} does not meet {requirement}",
        ),
        Signature(
            "requires",
            r"requires (?P<name>[\w.-]{1,128})(?P<requirement>[^,\s]{0,128}), which is not "
            r"installed",
            "{name} is required but not installed",
        ),
    ),
    fix_from_log=fix_from_log,
)
