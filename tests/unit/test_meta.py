"""The catalogue keeps its promises: every rule registered in its family, documented in all
sections (settings included), listed in the README, and tested in its own file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from devdoctor.core.docs import rule_page
from devdoctor.core.registry import DOC_SECTIONS, families, load

ROOT = Path(__file__).resolve().parents[2]
RULES = [r for r in load().rules if r.code.startswith("DD")]
MODULES = sorted(
    f"{p.parent.name}/{p.stem}"
    for p in (ROOT / "rules").glob("*/*.py")
    if not p.name.startswith("_")
)


def module_of(rule) -> str:
    return f"{rule.family.name}/{rule.name.replace('-', '_')}"


def test_every_rule_module_is_registered_in_its_folder() -> None:
    assert sorted(module_of(r) for r in RULES) == MODULES


def test_every_family_folder_declares_its_family() -> None:
    folders = sorted(p.name for p in (ROOT / "rules").iterdir() if (p / "__init__.py").is_file())
    assert sorted(f.name for f, _ in families()) == folders
    prefixes = [f.prefix for f, _ in families()]
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_code_is_in_its_family_range(rule) -> None:
    assert rule.code.startswith(rule.family.prefix)
    assert rule.category == rule.family.title


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule) -> None:
    positions = [rule.doc.find(section + "\n") for section in DOC_SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.code} lacks a section"
    assert positions == sorted(positions)
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_setting_and_fix_option_is_documented(rule) -> None:
    page = rule_page(rule)
    for cls, section in ((rule.settings, "## Settings"), (rule.fix_options, "## Fix options")):
        if cls is None:
            assert section not in page
            continue
        assert section in page
        for field in dataclasses.fields(cls):
            assert field.metadata.get("help"), f"{rule.code} {field.name} has no help"
            assert f"`{field.name}`" in page or f"`--{field.name.replace('_', '-')}`" in page


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_in_the_readme_catalogue(rule) -> None:
    readme = (ROOT / "README.md").read_text()
    row = f"| {rule.code} | `{rule.name}` | {rule.scope.value} | {rule.fix_availability.value} |"
    assert row in readme


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_its_own_test_file(rule) -> None:
    path = ROOT / "tests" / "rules" / rule.family.name / f"test_{module_of(rule).split('/')[1]}.py"
    assert path.is_file(), f"{rule.code} has no {path.relative_to(ROOT)}"


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)
