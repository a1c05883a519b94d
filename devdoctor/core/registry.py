"""Find rules (bundled modules and `devdoctor.rules` entry points), validate, select."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from devdoctor.core.rule import Family, Rule
from devdoctor.errors import UsageError

ENTRY_POINT_GROUP = "devdoctor.rules"
CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PREFIX = re.compile(r"^[A-Z]{2,5}[0-9]{0,2}$")  # ruff-style: DD, DD3, DD30


def normal(ref: str) -> str:
    """Codes in capitals, names in kebab-case (snake_case accepted)."""
    upper = ref.upper()
    return upper if CODE.match(upper) or PREFIX.match(upper) else ref.lower().replace("_", "-")


DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix", "## Fix safety")


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded or validated; reported, never fatal."""

    name: str
    reason: str


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]
    broken: tuple[BrokenPlugin, ...] = ()

    def find(self, ref: str) -> Rule | None:
        """A rule by code (DD302) or name (git-stale-index-lock, git_stale_index_lock)."""
        wanted = normal(ref)
        return next((r for r in self.rules if wanted in (r.code, r.name)), None)

    def matching(self, ref: str) -> list[Rule]:
        """One rule by code or name, or every rule whose code starts with a prefix (DD3)."""
        rule = self.find(ref)
        if rule is not None:
            return [rule]
        prefix = normal(ref)
        return [r for r in self.rules if PREFIX.match(prefix) and r.code.startswith(prefix)]

    def resolve(self, refs: Iterable[str], what: str = "rule") -> list[Rule]:
        found = []
        for ref in refs:
            rules = self.matching(ref)
            if not rules:
                raise UsageError(f"unknown {what} {ref!r}{self._suggestion(ref)}")
            found.extend(rules)
        return found

    def _suggestion(self, ref: str) -> str:
        import difflib

        every = load().rules  # this registry may hold only the rules that were named
        known = [r.name for r in every] + [r.code for r in every]
        close = difflib.get_close_matches(normal(ref), known, n=1, cutoff=0.6)
        return f" (did you mean {close[0]}?)" if close else " (see `devdoctor rules`)"

    def select(
        self, chosen: Iterable[str], select: Iterable[str], ignore: Mapping[str, str]
    ) -> list[Rule]:
        """Rules named on the command line, else config `select` (default all), minus `ignore`."""
        chosen = list(chosen)
        if chosen:
            return sorted(set(self.resolve(chosen)), key=lambda r: r.code)
        base = self.resolve(select, "rule in select") if select else list(self.rules)
        ignored = {r.code for ref in ignore for r in self.matching(ref)}
        return sorted((r for r in set(base) if r.code not in ignored), key=lambda r: r.code)

    def unmatched_ignores(self, ignore: Mapping[str, str]) -> list[str]:
        return [ref for ref in ignore if not self.matching(ref)]


def rules_in(module: ModuleType, family: Family | None = None) -> list[Rule]:
    found = [value for value in vars(module).values() if isinstance(value, Rule)]
    return [
        replace(rule, doc=rule.doc or (module.__doc__ or "").strip(), family=family)
        for rule in found
    ]


def validate(rule: Rule) -> str | None:
    if not CODE.match(rule.code):
        return f"bad code {rule.code!r} (want letters then 3 digits, e.g. DD101)"
    if not NAME.match(rule.name):
        return f"bad name {rule.name!r} (want kebab-case)"
    if not callable(rule.check):
        return "check is not callable"
    return None


def _wanted(module: str, refs: set[str]) -> bool:
    """Whether a bundled module holds one of the rules asked for, read from its file name (the
    rule's name) and source (its code) without importing it: `check DD302` imports one rule."""
    if module.rsplit(".", 1)[-1].replace("_", "-") in refs:
        return True
    import importlib.util

    spec = importlib.util.find_spec(module)
    try:
        source = Path(spec.origin).read_text() if spec and spec.origin else ""
    except OSError:
        return True
    codes = set(re.findall(r"""code=["']([A-Z]{2,5}[0-9]{3})["']""", source))
    return not codes or any(code.startswith(ref) for code in codes for ref in refs)


def families() -> list[tuple[Family, ModuleType]]:
    """Each folder under rules/ with the FAMILY its `__init__.py` declares."""
    package = importlib.import_module("devdoctor.rules")  # rules/, mapped by package-dir
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        folder = importlib.import_module(f"{package.__name__}.{info.name}")
        family = getattr(folder, "FAMILY", None)
        if not isinstance(family, Family) or family.name != info.name:
            raise RuntimeError(f"rules/{info.name}/__init__.py must declare FAMILY = Family(...)")
        found.append((family, folder))
    return found


def _bundled(refs: set[str]) -> list[Rule]:
    found: list[Rule] = []
    for family, folder in families():
        for info in sorted(pkgutil.iter_modules(folder.__path__), key=lambda m: m.name):
            name = f"{folder.__name__}.{info.name}"
            if info.name.startswith("_") or info.ispkg or (refs and not _wanted(name, refs)):
                continue
            found.extend(rules_in(importlib.import_module(name), family))
    return found


def _path_stamp() -> list[list[object]]:
    """The distributions on sys.path: each metadata folder's name and mtime. Installing,
    upgrading or removing one changes it; Python writing bytecode next to it does not."""
    stamp: list[list[object]] = []
    for folder in sys.path:
        with contextlib.suppress(OSError), os.scandir(folder or ".") as entries:
            for entry in entries:
                if entry.name.endswith((".dist-info", ".egg-info")):
                    stamp.append([folder, entry.name, entry.stat().st_mtime_ns])
    return stamp


def _entry_points() -> list[tuple[str, str]]:
    """The group's entry points; scanning every installed distribution costs ~50 ms, so the
    answer is cached in the user cache dir, keyed by the sys.path folders and their mtimes."""
    from devdoctor import paths

    cache = paths.cache_dir() / "entry-points.json"
    stamp = _path_stamp()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(cache.read_text())
        if data["stamp"] == stamp:
            return [(name, value) for name, value in data["entry_points"]]
    from importlib.metadata import entry_points

    found = [(ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    with contextlib.suppress(OSError):
        from devdoctor.private import write_private

        write_private(cache, json.dumps({"stamp": stamp, "entry_points": found}).encode())
    return found


def _load(value: str) -> object:
    """`module:attr.attr` or `module`, as importlib.metadata.EntryPoint.load() reads it."""
    module_name, _, attrs = value.partition(":")
    loaded: object = importlib.import_module(module_name.strip())
    for attr in filter(None, attrs.strip().split(".")):
        loaded = getattr(loaded, attr)
    return loaded


def _plugins() -> Iterable[tuple[str, list[Rule] | BrokenPlugin]]:
    for name, value in _entry_points():
        label = f"{name} ({value})"
        try:
            loaded = _load(value)
        except Exception as exc:  # a plugin's import error must not stop the others
            yield label, BrokenPlugin(label, f"cannot load: {type(exc).__name__}: {exc}")
            continue
        if isinstance(loaded, Rule):
            yield label, [replace(loaded, doc=loaded.doc or (loaded.check.__doc__ or ""))]
        elif isinstance(loaded, ModuleType) and rules_in(loaded):
            yield label, rules_in(loaded)
        else:
            yield label, BrokenPlugin(label, "entry point is neither a Rule nor a module with one")


def load(only: Iterable[str] = ()) -> Registry:
    """Every rule; with `only` (codes or names), just the bundled modules that hold them."""
    refs = {normal(r) for r in only}
    rules: list[Rule] = []
    broken: list[BrokenPlugin] = []
    for rule in _bundled(refs):
        problem = validate(rule)
        if problem is None and rule.family and not rule.code.startswith(rule.family.prefix):
            problem = f"its code is outside the {rule.family.name} family ({rule.family.prefix}xx)"
        if problem:  # a bundled rule is our own bug: fail loudly
            raise RuntimeError(f"bundled rule {rule.code}: {problem}")
        rules.append(rule)
    for label, loaded in _plugins():
        if isinstance(loaded, BrokenPlugin):
            broken.append(loaded)
            continue
        for rule in loaded:
            problem = validate(rule)
            taken = next((r for r in rules if r.code == rule.code or r.name == rule.name), None)
            if problem is None and taken is not None:
                problem = f"{rule.code} {rule.name} clashes with {taken.code} {taken.name}"
            if problem:
                broken.append(BrokenPlugin(label, problem))
            else:
                rules.append(rule)
    return Registry(tuple(sorted(rules, key=lambda r: r.code)), tuple(broken))
