"""A rule's page, as `devdoctor explain` prints it: its docstring, then sections generated from
its settings and fix options dataclasses (so they cannot drift from the code)."""

from __future__ import annotations

import dataclasses
from typing import Any

from devdoctor.core.rule import Rule


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "(required)"
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value).replace("'", '"')


def _type(field: dataclasses.Field[Any]) -> str:
    return str(field.type).replace("tuple[str, ...]", "list of str")


def field_lines(cls: type[Any], prefix: str = "") -> list[str]:
    """One line per field: `- name` (type, default): help."""
    lines = []
    for field in dataclasses.fields(cls):
        name = prefix + field.name.replace("_", "-") if prefix else field.name
        help_text = field.metadata.get("help", "")
        lines.append(f"- `{name}` ({_type(field)}, default {_default(field)}): {help_text}")
    return lines


def settings_section(rule: Rule) -> str:
    if rule.settings is None:
        return ""
    head = [
        "## Settings",
        "",
        f"In `[tool.devdoctor.rules.{rule.name}]` of pyproject.toml, or `[rules.{rule.name}]` of "
        "the user config file:",
        "",
    ]
    return "\n".join(head + field_lines(rule.settings)) + "\n"


def fix_options_section(rule: Rule) -> str:
    if rule.fix_options is None:
        return ""
    head = ["## Fix options", "", f"Flags of `devdoctor fix {rule.name}`:", ""]
    return "\n".join(head + field_lines(rule.fix_options, prefix="--")) + "\n"


def rule_page(rule: Rule) -> str:
    header = (
        f"{rule.code} {rule.name} ({rule.category}; {rule.scope.value}; "
        f"fix: {rule.fix_availability.value})"
    )
    parts = [header, "", (rule.doc or rule.summary).rstrip() + "\n"]
    parts += [s for s in (settings_section(rule), fix_options_section(rule)) if s]
    return "\n".join(parts)
