"""A rule's check and log fix that import its examination only when they run: the ELF readers
and the loader cost milliseconds to import, which `devdoctor rules`, `diagnose` and the other
families' checks need not pay."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from devdoctor.api import Context, Diagnostic, Fix, Status, TargetError, setting

from ._libscan import libraries


@dataclass(frozen=True)
class ProofSettings:
    """The settings of the rules whose fixes are proven by loading or importing in a child."""

    child_timeout: float = setting(60.0, "seconds the proof in a new process may take")


def deferred(module: str, needs_libraries: bool = True) -> tuple[Any, Any]:
    """(check, fix_from_log) calling the functions of that name in `rules.native.<module>`;
    with `needs_libraries`, an environment without compiled libraries passes at once."""

    def examination() -> Any:
        return importlib.import_module(f"{__package__}.{module}")

    def check(ctx: Context, settings: Any) -> Iterator[Diagnostic]:
        with contextlib.suppress(TargetError):  # the examination says why it cannot look
            # A plain venv: nothing to read, nothing to import.
            if needs_libraries and not libraries(ctx):
                yield Diagnostic(Status.PASS, "no compiled libraries in this environment")
                return
        yield from examination().check(ctx, settings)

    def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
        return examination().fix_from_log(ctx, facts, settings)  # type: ignore[no-any-return]

    return check, fix_from_log
