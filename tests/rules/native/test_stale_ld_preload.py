"""DD102: missing LD_PRELOAD entries, live and where devdoctor persisted them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import NEEDS_PRELOAD, Runner, tree_hashes


def _lib(folder: Path, name: str) -> Path:
    src = folder / f"{name}.c"
    src.write_text("int marker(void) { return 1; }\n")
    lib = folder / f"{name}.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def test_live_environment_gets_the_corrected_export(cli: Runner, tmp_path: Path) -> None:
    good = _lib(tmp_path, "libgood")
    gone = tmp_path / "scikit_learn.libs" / "libgomp-d22c30c5.so.1.0.0"
    env = {"LD_PRELOAD": f"{gone}:{good}"}
    doc = cli("check", "DD102", "--format", "json", env=env).json()
    [result] = doc["results"]
    assert result["status"] == "fail"
    [diag] = result["diagnostics"]
    assert diag["facts"]["missing"] == [str(gone)]
    assert diag["fix"]["applicability"] == "display-only"
    preview = cli("fix", "DD102", env=env)
    assert f"run: export LD_PRELOAD={good}" in preview.out
    applied = cli("fix", "DD102", "--apply", env=env)
    assert applied.code == 1  # a display-only fix is never applied; the failure stays


def test_clean_and_bare_names_pass(cli: Runner, tmp_path: Path) -> None:
    good = _lib(tmp_path, "libgood")
    env = {"LD_PRELOAD": f"{good} libjemalloc.so.2"}  # spaces separate too; bare names skipped
    assert cli("check", "DD102", env=env).code == 0


def test_persisted_stale_entry_is_removed_and_undone(
    cli: Runner, plugin, tmp_path: Path, user_venv: Path
) -> None:
    lib = _lib(tmp_path, "libgomp-d22c30c5")
    python = str(user_venv / "bin" / "python")
    pristine = tree_hashes(user_venv / "bin")
    env = {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": str(lib)}
    assert cli("fix", "XX903", "--apply", "--python", python, env=env).code == 0
    assert cli("check", "DD102", "--python", python).code == 0

    lib.unlink()  # the next wheel release renamed its vendored libgomp
    doc = cli("check", "DD102", "--format", "json", "--python", python).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["facts"]["where"] == str(user_venv / "bin" / "activate")
    assert diag["fix"]["applicability"] == "safe"
    persisted = tree_hashes(user_venv / "bin")

    ran = cli("fix", "DD102", "--apply", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    assert ": fixed" in ran.out
    assert tree_hashes(user_venv / "bin") == pristine  # the only variable: the blocks are gone
    assert cli("check", "DD102", "--python", python).code == 0

    assert cli("undo", "--yes").code == 0
    assert tree_hashes(user_venv / "bin") == persisted


def test_other_entries_are_kept(cli: Runner, tmp_path: Path, user_venv: Path) -> None:
    from devdoctor.core.fix import EnvChange, EnvOp
    from devdoctor.core.target import locate
    from devdoctor.fixes.journal import apply_all
    from devdoctor.fixes.persist import plan

    keep, gone = _lib(tmp_path, "libkeep"), tmp_path / "libgone.so"
    python = str(user_venv / "bin" / "python")
    change = EnvChange("LD_PRELOAD", f"{gone}:{keep}", EnvOp.PREPEND)
    apply_all(plan([change], "venv", locate(python, {}), {}).edits)
    assert cli("fix", "DD102", "--apply", "--python", python).code == 0
    out = subprocess.run(
        ["bash", "-c", f'. {user_venv}/bin/activate; echo "$LD_PRELOAD"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == str(keep)


def test_a_hand_written_stale_preload_is_named_by_file_and_line(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    activate = user_venv / "bin" / "activate"
    gone = tmp_path / "gone" / "libgomp.so.1"
    activate.write_text(activate.read_text() + f"\nexport LD_PRELOAD='{gone}'\n")
    line = activate.read_text().splitlines().index(f"export LD_PRELOAD='{gone}'") + 1
    doc = cli("check", "DD102", "--format", "json", "--python", str(user_venv / "bin" / "python"))
    [result] = doc.json()["results"]
    assert result["status"] == "fail"
    [diag] = result["diagnostics"]
    assert diag["facts"]["where"] == f"{activate}:{line}" and diag["facts"]["missing"] == [
        str(gone)
    ]
    assert diag["fix"]["applicability"] == "display-only"  # the user's own line: never rewritten
