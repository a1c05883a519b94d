"""Configuration: defaults < user file < project pyproject.toml < DEVDOCTOR_* < command line."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor.errors import UsageError

DEFAULT_TIMEOUT = 10.0
KNOWN_KEYS = {"select", "ignore", "timeout", "hook_timeout", "rules", "system_root"}
DEFAULT_HOOK_TIMEOUT = 2.0


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: Mapping[str, str] = field(default_factory=dict)  # rule -> reason ("" if none given)
    timeout: float = DEFAULT_TIMEOUT
    hook_timeout: float = DEFAULT_HOOK_TIMEOUT  # the whole `hook run`
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per-rule settings
    # Where /proc, /dev and /sys are read from: "/" on a machine, a tree of real samples in
    # tests (the only indirection the GPU family has).
    system_root: str = "/"
    sources: tuple[str, ...] = ()


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: malformed TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None


def _parse_ignore(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, list):
        raise UsageError(f"{where}: 'ignore' must be a list")
    out: dict[str, str] = {}
    for item in value:
        if isinstance(item, str):
            out[item] = ""
        elif isinstance(item, dict) and isinstance(item.get("rule"), str):
            out[item["rule"]] = str(item.get("reason", ""))
        else:
            raise UsageError(
                f"{where}: ignore entries are rule names or {{rule = ..., reason = ...}}"
            )
    return out


def _merge(config: Config, table: Mapping[str, Any], where: str) -> Config:
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown setting {sorted(unknown)[0]!r}")
    changes: dict[str, Any] = {"sources": (*config.sources, where)}
    if "select" in table:
        select = table["select"]
        if not isinstance(select, list) or not all(isinstance(s, str) for s in select):
            raise UsageError(f"{where}: 'select' must be a list of rule names or codes")
        changes["select"] = tuple(select)
    if "ignore" in table:
        changes["ignore"] = {**config.ignore, **_parse_ignore(where, table["ignore"])}
    for key in ("timeout", "hook_timeout"):
        if key in table:
            changes[key] = parse_timeout(where, table[key])
    if "system_root" in table:
        root = table["system_root"]
        if not isinstance(root, str) or not root.startswith("/"):
            raise UsageError(f"{where}: 'system_root' must be an absolute path")
        changes["system_root"] = root
    if "rules" in table:
        rules = table["rules"]
        if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
            raise UsageError(f"{where}: 'rules' must hold one table per rule")
        merged = {k: dict(v) for k, v in config.rules.items()}
        for name, settings in rules.items():
            merged.setdefault(name, {}).update(settings)
        changes["rules"] = merged
    return dataclasses.replace(config, **changes)


def parse_timeout(where: str, value: Any) -> float:
    if not _is_number(value):
        raise UsageError(f"{where}: timeout must be a number of seconds, not {value!r}")
    timeout = float(value)
    if not 0 < timeout <= 3600:
        raise UsageError(f"{where}: timeout must be between 0 and 3600 seconds")
    return timeout


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def load(cwd: Path, env: Mapping[str, str], user_file: Path) -> Config:
    config = Config()
    if user_file.is_file():
        config = _merge(config, _read_toml(user_file), str(user_file))
    pyproject = find_pyproject(cwd)
    if pyproject is not None:
        table = _read_toml(pyproject).get("tool", {}).get("devdoctor")
        if table is not None:
            if not isinstance(table, dict):
                raise UsageError(f"{pyproject}: [tool.devdoctor] must be a table")
            config = _merge(config, table, f"{pyproject} [tool.devdoctor]")
    overrides: dict[str, Any] = {}
    if env.get("DEVDOCTOR_SELECT"):
        overrides["select"] = _split(env["DEVDOCTOR_SELECT"])
    if env.get("DEVDOCTOR_IGNORE"):
        overrides["ignore"] = _split(env["DEVDOCTOR_IGNORE"])
    if env.get("DEVDOCTOR_TIMEOUT"):
        try:
            overrides["timeout"] = float(env["DEVDOCTOR_TIMEOUT"])
        except ValueError:
            raise UsageError(
                f"DEVDOCTOR_TIMEOUT={env['DEVDOCTOR_TIMEOUT']!r}: a number of seconds, please"
            ) from None
    if env.get("DEVDOCTOR_SYSTEM_ROOT"):
        overrides["system_root"] = env["DEVDOCTOR_SYSTEM_ROOT"]
    if overrides:
        config = _merge(config, overrides, "DEVDOCTOR_* environment")
    return config


def build_settings(settings_type: type[Any], values: Mapping[str, Any], where: str) -> Any:
    """Fill a rule's settings dataclass, rejecting unknown keys and wrong types."""
    defaults = settings_type()
    names = {f.name for f in dataclasses.fields(settings_type)}
    filled: dict[str, Any] = {}
    for key, value in values.items():
        attr = key.replace("-", "_")
        if attr not in names:
            raise UsageError(
                f"{where}: unknown setting {key!r} (known: {', '.join(sorted(names))})"
            )
        default = getattr(defaults, attr)
        if default is not None and not _same_kind(default, value):
            raise UsageError(f"{where}: {key} must be {_kind_name(default)}, not {value!r}")
        if _is_number(value) and not 0 <= value < math.inf:
            raise UsageError(f"{where}: {key} must be a number from 0 up, not {value!r}")
        filled[attr] = tuple(value) if isinstance(default, tuple) else value
    return dataclasses.replace(defaults, **filled)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int)  # 2.5 commits is not a count
    if isinstance(default, float):
        return _is_number(value)
    if isinstance(default, (list, tuple)):
        element = type(default[0]) if default else str
        return isinstance(value, list) and all(_same_kind(element(), v) for v in value)
    return isinstance(value, type(default))


def _kind_name(default: Any) -> str:
    if isinstance(default, (list, tuple)):
        return f"a list of {type(default[0]).__name__ if default else 'str'}"
    return type(default).__name__
