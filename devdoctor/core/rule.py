"""The rule model: what a rule is, the family it belongs to, and what its check yields."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devdoctor.core.fix import Fix, FixAvailability

if TYPE_CHECKING:
    from devdoctor.core.context import Context


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
class Family:
    """A folder of rules under `rules/`, declared once in its `__init__.py` as FAMILY."""

    name: str  # the folder: native, hf, git, gpu, python
    title: str  # the category `check` and `rules` print
    prefix: str  # every code in the family starts with it: DD1, DD2, ...


PLUGINS = "Plugins"  # the category of rules that come from entry points


@dataclass(frozen=True)
class Diagnostic:
    status: Status
    message: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    fixes: tuple[Fix, ...] = ()  # the first is the rule's choice; `fix --alternative N` picks
    # Identifies "the same problem" when the check runs again after a fix.
    key: str = ""

    @property
    def identity(self) -> str:
        return self.key or self.message

    @property
    def fix(self) -> Fix | None:
        return self.fixes[0] if self.fixes else None


@dataclass(frozen=True)
class Signature:
    """How a rule's problem shows in log output.

    `hint` is a literal (or several) that every occurrence contains, found in all logs at once
    ignoring ASCII case. Hints are letters, digits, spaces and `_.-/=@+#` only: full-width or
    curly punctuation, which the scanner maps back before matching, cannot hide them then.
    `pattern` is matched exactly where a hint starts (re.match, one attempt each, a bounded
    number per line), so matching stays linear however adversarial the line; named groups
    become facts. `before` names a fact taken from the token just before the hint (a path in
    `<path>: <error>`), read backwards over at most 4096 characters.

    `context`: a pattern that must also be found in the same incident (the traceback or log
    block, see `devdoctor/logs/incidents.py`) — a generic network error counts for the hub
    only when its traceback names the hub. `unless`: found on the matched line, it is another
    problem (a network error naming another host). `certain=False`: the text is only probably
    this problem; `to_tell` (formatted with the facts) says how to tell. `accept(facts)`:
    False rejects a match whose figures say it is another problem.
    """

    hint: str | tuple[str, ...]
    pattern: str  # starts with a hint; bound every repetition ({0,2048}, not *)
    message: str  # str.format()-ed with the facts
    before: str = ""
    before_pattern: str = ""  # the token must fullmatch this (e.g. a shared-object path)
    before_required: bool = True  # False: without such a token it still matches, without it
    flags: int = 0
    context: str = ""
    unless: str = ""
    certain: bool = True
    to_tell: str = ""
    # Facts a pattern cannot weigh (numbers: "reserved but unallocated" against the request).
    accept: Callable[[Mapping[str, str]], bool] | None = None

    @property
    def hints(self) -> tuple[str, ...]:
        return (self.hint,) if isinstance(self.hint, str) else self.hint

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)


CheckFn = Callable[["Context", Any], Iterable[Diagnostic]]
# Settings are passed as the check gets them (the rule's dataclass, or None).
LogFixFn = Callable[["Context", Mapping[str, Any], Any], "Fix | None"]
EnrichFn = Callable[["Context", Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    code: str  # DD + 3 digits; the hundreds are the family (README, "Writing a rule")
    name: str  # kebab-case
    summary: str
    scope: Scope
    check: CheckFn  # only reads; never writes, never prompts
    fix_availability: FixAvailability = FixAvailability.NEVER
    signatures: tuple[Signature, ...] = ()
    settings: type[Any] | None = None  # a dataclass filled from config
    # A dataclass whose fields become `devdoctor fix` flags; the check reads them with
    # ctx.fix_options(TheClass). Values only matter when planning a fix.
    fix_options: type[Any] | None = None
    fix_from_log: LogFixFn | None = None
    # Turns what a log said (a path as written) into facts about this machine (the real file).
    enrich: EnrichFn | None = None
    network: bool = False  # it contacts servers: skipped under --offline
    # About the machine (its libraries, driver, devices, limits, the node's configured
    # environment, what it can reach), not a user's project, home or shell: only such a
    # rule's failure may drain a node under `fleet healthcheck`.
    node: bool = False
    doc: str = ""  # filled by the registry from the module docstring
    family: Family | None = None  # filled by the registry from the folder

    @property
    def category(self) -> str:
        return self.family.title if self.family else PLUGINS
