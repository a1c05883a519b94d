"""A rule's check and log fix that import its examination only when they run: the ELF readers
and the loader cost milliseconds to import, which `devdoctor rules`, `diagnose` and the other
families' checks need not pay."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from devdoctor.api import Context, Diagnostic, Fix


def deferred(module: str) -> tuple[Any, Any]:
    """(check, fix_from_log) calling the functions of that name in `rules.native.<module>`."""

    def examination() -> Any:
        return importlib.import_module(f"{__package__}.{module}")

    def check(ctx: Context, settings: Any) -> Iterable[Diagnostic]:
        return examination().check(ctx, settings)  # type: ignore[no-any-return]

    def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Any) -> Fix | None:
        return examination().fix_from_log(ctx, facts, settings)  # type: ignore[no-any-return]

    return check, fix_from_log
