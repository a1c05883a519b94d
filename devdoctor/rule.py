"""The rule-author API: what a rule is and what its check yields."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devdoctor.context import Context
    from devdoctor.fix import Fix


class Status(enum.Enum):
    """A rule's verdict. Declared from best to worst: the order is the severity."""

    PASS = "pass"
    SKIP = "skip"  # could not check
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # the rule itself crashed or timed out

    @property
    def rank(self) -> int:
        return list(Status).index(self)


class Scope(enum.Enum):
    ENVIRONMENT = "environment"
    REPOSITORY = "repository"
    HOOK = "hook-safe"  # fast, offline, read-only: may run in a git hook


@dataclass(frozen=True)
class Diagnostic:
    status: Status
    message: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    fix: Fix | None = None
    alternatives: tuple[Fix, ...] = ()  # other fixes; `fix --alternative N` picks one
    # Identifies "the same problem" when the check runs again after a fix.
    key: str = ""

    @property
    def identity(self) -> str:
        return self.key or self.message


@dataclass(frozen=True)
class Signature:
    """How a rule's problem shows in log output.

    `hint` is a literal that every occurrence contains; logs are scanned for it at C speed, and
    `pattern` is then matched exactly at each place the hint starts (re.match, one attempt), so
    matching stays linear however adversarial the line. Named groups become facts. `before`
    names a fact taken from the token just before the hint (a path in `<path>: <error>`), read
    backwards over at most 4096 characters.
    """

    hint: str
    pattern: str  # starts with the hint; bound every repetition ({0,2048}, not *)
    message: str  # str.format()-ed with the facts
    before: str = ""
    before_pattern: str = ""  # the token must fullmatch this (e.g. a shared-object path)
    flags: int = 0

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)


CheckFn = Callable[["Context", Any], Iterable[Diagnostic]]
LogFixFn = Callable[["Context", Mapping[str, Any]], "Fix | None"]
EnrichFn = Callable[["Context", Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    code: str  # DD + 3 digits: 1xx native libraries, 2xx Hugging Face, 3xx git
    name: str  # kebab-case
    summary: str
    scope: Scope
    check: CheckFn  # only reads; never writes, never prompts
    fixable: bool = False
    signatures: tuple[Signature, ...] = ()
    settings: type[Any] | None = None  # a dataclass filled from config
    fix_from_log: LogFixFn | None = None
    # Turns what a log said (a path as written) into facts about this machine (the real file).
    enrich: EnrichFn | None = None
    doc: str = ""  # filled by the registry from the module docstring

    @property
    def category(self) -> str:
        return category_of(self.code)


CATEGORIES = {"1": "Native libraries", "2": "Hugging Face Hub", "3": "Git repository"}


def category_of(code: str) -> str:
    if code.startswith("DD") and len(code) == 5:
        return CATEGORIES.get(code[2], "Other")
    return "Plugins"
