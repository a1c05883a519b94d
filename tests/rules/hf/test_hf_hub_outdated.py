"""DD203 with a real old huggingface_hub installed from the package index into a real venv."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest
from helpers import Runner

OLD = "0.20.3"


@pytest.fixture(scope="module")
def old_hub_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oldhub") / "venv"
    venv.create(path, with_pip=True)
    subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "-q", f"huggingface_hub=={OLD}"],
        check=True,
        capture_output=True,
    )
    return path


def hub_version(venv_path: Path) -> str:
    return subprocess.run(
        [
            str(venv_path / "bin" / "python"),
            "-c",
            "import huggingface_hub; print(huggingface_hub.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_old_hub_without_an_endpoint_passes(cli: Runner, old_hub_venv: Path) -> None:
    ran = cli("check", "DD203", "--format", "json", "--python", str(old_hub_venv / "bin/python"))
    [result] = ran.json()["results"]
    assert result["status"] == "pass"
    assert result["diagnostics"][0]["facts"]["version"] == OLD


def test_old_hub_with_an_endpoint_fails_and_upgrade_is_undoable(
    cli: Runner, old_hub_venv: Path
) -> None:
    python = str(old_hub_venv / "bin" / "python")
    env = {"HF_ENDPOINT": "https://hf-mirror.com"}
    [result] = cli("check", "DD203", "--format", "json", "--python", python, env=env).json()[
        "results"
    ]
    [diag] = result["diagnostics"]
    assert result["status"] == "fail" and "Xet token refresh" in diag["message"]
    assert diag["fix"]["applicability"] == "unsafe"
    assert f"{python} -m pip install huggingface_hub==0.34.0" in diag["fix"]["title"]
    assert f"{OLD} -> 0.34.0" in diag["fix"]["title"]  # names what it installs

    not_named = cli("fix", "--apply", "--python", python, env=env)  # unsafe: not without opt-in
    assert hub_version(old_hub_venv) == OLD and "not applied" in not_named.out
    had = names(old_hub_venv)
    ran = cli("fix", "DD203", "--apply", "--yes", "--python", python, env=env, timeout=600)
    assert ran.code == 0, ran.out + ran.err
    pulled = sorted(names(old_hub_venv) - had - {"huggingface-hub", "huggingface_hub"})
    assert ": fixed" in ran.out
    assert hub_version(old_hub_venv) == "0.34.0"  # the smallest fix, no major jump

    undone = cli("undo", "--yes", timeout=600)
    assert undone.code == 0
    assert hub_version(old_hub_venv) == OLD
    if pulled:  # what the upgrade brought in stays, and undo says so with the command
        assert f"the upgrade also installed {', '.join(pulled)}" in undone.out
        assert "pip uninstall -y" in undone.out
    else:
        assert "also installed" not in undone.out


def names(venv_path: Path) -> set[str]:
    out = subprocess.run(
        [
            str(venv_path / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; "
            "print(' '.join({(d.metadata['Name'] or '').lower() for d in m.distributions()}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())
