"""What a fix is, as data: its applicability, its edits and its environment changes.

The edit kinds themselves (files, packages, git refs) live with the code that applies them; this
module only says what every edit must be able to do, so the rule model needs nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol


class Applicability(enum.Enum):
    SAFE = "safe"  # applied by `fix --apply`
    UNSAFE = "unsafe"  # needs --unsafe-fixes (or the rule named) and a confirmation
    DISPLAY_ONLY = "display-only"  # devdoctor shows what to do; it never applies it


class FixAvailability(enum.Enum):
    """Whether a rule's findings come with a fix devdoctor can apply (as ruff says it)."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NEVER = "never"  # advice only: every fix it offers is display-only


class Conflict(Exception):
    """The world is not in the state an edit expects: nothing may be written."""


class EditFailed(Exception):
    """An edit could not be carried out (a command failed); what was done is rolled back."""


class Edit(Protocol):
    kind: ClassVar[str]

    def describe(self) -> str: ...
    def preview(self) -> str: ...
    def conflict(self) -> str | None: ...
    def apply(self) -> Edit | None: ...  # an edit may return what it really did (for the journal)
    def inverse(self) -> Edit: ...
    def to_json(self) -> dict[str, Any]: ...


class EnvOp(enum.Enum):
    SET = "set"
    PREPEND = "prepend"  # path lists: new${VAR:+:$VAR}, never overwrite
    UNSET = "unset"


@dataclass(frozen=True)
class EnvChange:
    """An environment variable to persist in the target chosen by `fix --target`."""

    name: str
    value: str = ""
    op: EnvOp = EnvOp.SET

    def applied_to(self, env: dict[str, str]) -> None:
        """What a new shell would see once the change is active."""
        if self.op is EnvOp.UNSET:
            env.pop(self.name, None)
        elif self.op is EnvOp.PREPEND and env.get(self.name):
            env[self.name] = f"{self.value}:{env[self.name]}"
        else:
            env[self.name] = self.value

    def problem(self) -> str | None:
        """Why this value cannot be persisted as it is, or None. Control characters could end
        a marked block or a quoted string in some shell; ld.so splits LD_PRELOAD at blanks
        (and colons), so a path holding one would preload the wrong files."""
        if any(ord(c) < 32 or ord(c) == 127 for c in self.name + self.value):
            return f"{self.name}: a value with control characters cannot be persisted"
        if self.name == "LD_PRELOAD" and any(c.isspace() for c in self.value):
            return f"LD_PRELOAD cannot hold a path with a blank ({self.value!r}): ld.so splits it"
        return None

    def describe(self, current: str | None) -> str:
        old = "(unset)" if current is None else current
        if self.op is EnvOp.UNSET:
            return f"{self.name}: {old} -> (unset)"
        verb = " (prepended)" if self.op is EnvOp.PREPEND else ""
        return f"{self.name}: {old} -> {self.value}{verb}"


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...] = ()
    env: tuple[EnvChange, ...] = ()  # resolved into edits for the chosen --target
    instructions: str = ""  # what to run by hand (display-only fixes, live shells)
    # Proves the fix in a new process given the environment a new shell would have:
    # None when it works, else what happened. Without it, the rule's check runs again.
    verify: Callable[[Mapping[str, str]], str | None] | None = None
    # A last step that cannot be rolled back (a push): runs after the edits are applied and
    # journaled; None when it worked, else what failed (the edits stay, undo reverts them).
    publish: Callable[[], str | None] | None = None
    published: str = ""  # what publishing did, reported when it worked ("pushed x to origin")

    @property
    def applicable(self) -> bool:
        return self.applicability is not Applicability.DISPLAY_ONLY
