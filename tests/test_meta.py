"""Every rule registered, documented in all sections, named after its module, in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from devdoctor.registry import DOC_SECTIONS, load

ROOT = Path(__file__).resolve().parent.parent
RULES = load().rules
MODULES = sorted(p.stem for p in (ROOT / "rules").glob("*.py") if not p.name.startswith("_"))


def test_every_rule_module_is_registered() -> None:
    assert sorted(r.name.replace("-", "_") for r in RULES if r.code.startswith("DD")) == MODULES


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule) -> None:
    positions = [rule.doc.find(section + "\n") for section in DOC_SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.code} lacks a section"
    assert positions == sorted(positions)
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_in_the_readme_catalogue(rule) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"| {rule.code} | `{rule.name}` |" in readme


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)
