"""A template: copy this file into a family folder (rules/<family>/<rule_name>.py), rename it
after the rule, and replace every part. The registry skips modules whose names start with `_`.

(The docstring of a real rule starts here, with one sentence saying what is wrong.)
A project file that the team expects is missing.

## What it does

Looks for the file named by the setting `marker` in the folder devdoctor runs in.

## Why is this bad?

Say what breaks for the user, with the error line they would see.

## Example

```
$ devdoctor check template-example
  ✗ DD999 template-example: EXAMPLE.txt is missing
```

## Fix

Creates the file with one line in it.

## Fix safety

Safe: one new file, and `devdoctor undo` removes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    FileEdit,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
    setting,
)


@dataclass(frozen=True)
class Settings:
    marker: str = setting("EXAMPLE.txt", "the file that must exist")


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    path = ctx.cwd / settings.marker
    if path.exists():
        yield Diagnostic(Status.PASS, f"{settings.marker} exists", {"path": str(path)})
        return
    fix = Fix(f"Create {settings.marker}", Applicability.SAFE, (FileEdit.write(path, "hello\n"),))
    yield Diagnostic(
        Status.FAIL, f"{settings.marker} is missing", {"path": str(path)}, (fix,), key=str(path)
    )


RULE = Rule(
    code="DD999",  # the family's prefix (DD1 native, DD2 hf, DD3 git, DD4 gpu, DD5 python) + 2
    name="template-example",  # kebab-case; the module is its snake_case form
    summary="A project file the team expects is missing",  # no full stop
    scope=Scope.REPOSITORY,  # ENVIRONMENT, REPOSITORY, or HOOK (offline, fast, staged files)
    check=check,
    fix_availability=FixAvailability.ALWAYS,  # checked at run time: a broken promise is an error
    settings=Settings,
)
