"""What devdoctor examines and edits: never its own environment by accident, never outside the
one project you stand in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from helpers import Runner, git


def target(cli: Runner, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    ran = cli("check", "DD102", "--format", "json", *args, env=env, cwd=cwd)
    return ran


def test_devdoctors_own_environment_is_skipped(cli: Runner, user_venv: Path) -> None:
    """Installed in a tool venv whose bin is first on PATH, `python3` there is devdoctor's."""
    own_bin = str(Path(sys.executable).parent)
    path = f"{own_bin}:{user_venv / 'bin'}:{os.environ['PATH']}"
    ran = target(cli, env={"PATH": path})
    assert ran.code == 0, ran.err
    assert ran.json()["target"]["prefix"] == str(user_venv)
    only_own = target(cli, env={"PATH": own_bin})  # nothing else to examine
    assert only_own.code == 2 and "devdoctor's own environment" in only_own.err
    assert "--python" in only_own.err
    named = target(cli, "--python", sys.executable)  # named on purpose: examined
    assert named.code == 0 and named.json()["target"]["source"] == "--python"


def test_python_accepts_an_environment_folder_and_refuses_non_pythons(
    cli: Runner, user_venv: Path
) -> None:
    ran = target(cli, "--python", str(user_venv))
    assert ran.code == 0 and ran.json()["target"]["prefix"] == str(user_venv)
    for bad in ("/bin/ls", "/nonexistent/python3"):
        refused = target(cli, "--python", bad)
        assert refused.code == 2 and refused.err.count("\n") == 1, refused.err


def test_a_stale_virtual_env_is_named(cli: Runner, tmp_path: Path) -> None:
    ran = target(cli, env={"VIRTUAL_ENV": str(tmp_path / "deleted-venv")})
    assert ran.code == 2 and "which is gone" in ran.err


def test_dd204_never_walks_a_whole_tree(cli: Runner, tmp_path: Path) -> None:
    """From a folder in no project, nothing is scanned and `fix --apply` edits nothing."""
    late = 'import transformers\nimport os\nos.environ["HF_ENDPOINT"] = "https://x"\n'
    outside = tmp_path / "home"
    for project in ("proj-a", "proj-b"):
        (outside / project).mkdir(parents=True)
        (outside / project / "train.py").write_text(late)
    ran = cli("check", "DD204", "--format", "json", cwd=outside)
    result = ran.json()["results"][0]
    assert (
        result["status"] == "skip"
        and "no pyproject.toml project" in result["diagnostics"][0]["message"]
    )
    fixed = cli("fix", "DD204", "--apply", cwd=outside)
    assert fixed.code == 1 and "could not check DD204" in fixed.out  # says why, edits nothing
    assert all((outside / p / "train.py").read_text() == late for p in ("proj-a", "proj-b"))


def test_dd204_fixes_inside_the_nearest_project_only(cli: Runner, tmp_path: Path) -> None:
    late = 'import transformers\nimport os\nos.environ["HF_ENDPOINT"] = "https://x"\n'
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "src" / "train.py").write_text(late)
    (tmp_path / "other.py").write_text(late)  # beside the project, not in it
    ran = cli("fix", "DD204", "--apply", cwd=project / "src")
    assert ran.code == 0, ran.out + ran.err
    assert (project / "src" / "train.py").read_text() != late
    assert (tmp_path / "other.py").read_text() == late


def test_dd204_in_a_repository_reads_tracked_files(cli: Runner, repo: Path) -> None:
    late = 'import transformers\nimport os\nos.environ["HF_ENDPOINT"] = "https://x"\n'
    (repo / "untracked.py").write_text(late)
    result = cli("check", "DD204", "--format", "json", cwd=repo).json()["results"][0]
    assert result["status"] == "pass"
    git(repo, "add", "untracked.py")
    result = cli("check", "DD204", "--format", "json", cwd=repo).json()["results"][0]
    assert result["status"] == "fail"
