"""Persisting environment variables: real venvs activated in real shells, conda, rc files."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from helpers import NEEDS_PRELOAD, Runner, require_tool, sh, tree_hashes

SHOW = (
    "python -c \"import os; print(os.environ.get('LD_PRELOAD', 'unset')); "
    "print(os.environ['DDTEST_LIB'] in open('/proc/self/maps').read())\""
)


@pytest.fixture(scope="module")
def libs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Two real shared libraries that can be preloaded."""
    out = tmp_path_factory.mktemp("libs")
    made = []
    for name in ("liba", "libb"):
        src = out / f"{name}.c"
        src.write_text(f"int {name}_marker(void) {{ return 1; }}\n")
        lib = out / f"{name}.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
        made.append(str(lib))
    return made[0], made[1]


@pytest.fixture
def env(plugin, libs: tuple[str, str]) -> dict[str, str]:
    return {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": libs[0]}


def test_venv_round_trip_in_bash(
    cli: Runner, env: dict[str, str], user_venv: Path, libs: tuple[str, str]
) -> None:
    lib_a, lib_b = libs
    before = tree_hashes(user_venv / "bin")
    python = str(user_venv / "bin" / "python")
    preview = cli("fix", "--python", python, env=env)
    assert "LD_PRELOAD: (unset) -> " + lib_a + " (prepended)" in preview.out
    assert f"persist in venv {user_venv}" in preview.out
    assert tree_hashes(user_venv / "bin") == before

    ran = cli("fix", "--apply", "--target", "venv", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "takes effect in a new shell/process" in ran.out
    activate = user_venv / "bin" / "activate"
    # set on activate (prepended to what was there), restored on deactivate
    out = sh(
        "bash",
        f'export LD_PRELOAD={lib_b}; . {activate}; {SHOW}; deactivate; echo "$LD_PRELOAD"',
        env,
    )
    assert out == [f"{lib_a}:{lib_b}", "True", lib_b]
    out = sh("bash", f'. {activate}; {SHOW}; deactivate; echo "${{LD_PRELOAD-unset}}"', env)
    assert out == [lib_a, "True", "unset"]
    # the rule passes in a shell that activated the venv
    import sys

    dd = f"{sys.executable} -m devdoctor"
    check = subprocess.run(
        ["bash", "-c", f". {activate}; {dd} check XX903"],
        env={**__import__("os").environ, **env},
        capture_output=True,
    )
    assert check.returncode == 0, check.stdout

    # applying again changes nothing and stays verified
    again = cli("fix", "--apply", "--target", "venv", "--python", python, env=env)
    assert again.code == 0 and activate.read_text().count("# >>> devdoctor >>>") == 2

    assert cli("undo", "--yes").code == 0
    assert cli("undo", "--yes").out.strip() == "Nothing to undo."
    assert tree_hashes(user_venv / "bin") == before  # byte for byte, modes included


@pytest.mark.parametrize(
    "shell, script",
    [
        ("zsh", ". {bin}/activate; echo $LD_PRELOAD; deactivate; echo $LD_PRELOAD"),
        ("fish", "source {bin}/activate.fish; echo $LD_PRELOAD; deactivate; echo $LD_PRELOAD"),
        (
            "tcsh",
            "set prompt=x; source {bin}/activate.csh; echo $LD_PRELOAD; deactivate; "
            "echo $LD_PRELOAD",
        ),
    ],
)
def test_venv_other_shells(
    cli: Runner,
    env: dict[str, str],
    user_venv: Path,
    libs: tuple[str, str],
    shell: str,
    script: str,
) -> None:
    require_tool(shell)
    lib_a, lib_b = libs
    ran = cli("fix", "--apply", "--python", str(user_venv / "bin" / "python"), env=env)
    assert ran.code == 0, ran.out + ran.err
    out = sh(shell, script.format(bin=user_venv / "bin"), {**env, "LD_PRELOAD": lib_b})
    assert out == [f"{lib_a}:{lib_b}", lib_b]


def test_conda_env_round_trip(
    cli: Runner, env: dict[str, str], tmp_path: Path, libs: tuple[str, str]
) -> None:
    lib_a, lib_b = libs
    prefix = tmp_path / "conda-env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("")
    before = tree_hashes(prefix)
    conda_env = {**env, "CONDA_PREFIX": str(prefix)}
    ran = cli("fix", "--apply", env=conda_env)  # auto picks conda
    assert ran.code == 0, ran.out + ran.err
    scripts = prefix / "etc" / "conda"
    out = sh(
        "bash",
        f"export LD_PRELOAD={lib_b}; . {scripts}/activate.d/devdoctor.sh; "
        f'echo "$LD_PRELOAD"; . {scripts}/deactivate.d/devdoctor.sh; echo "$LD_PRELOAD"',
        conda_env,
    )
    assert out == [f"{lib_a}:{lib_b}", lib_b]
    assert (scripts / "activate.d" / "devdoctor.fish").exists()
    assert cli("undo", "--yes").code == 0
    assert tree_hashes(prefix) == before
    assert not (scripts / "activate.d" / "devdoctor.sh").exists()


def test_shell_rc_block_is_idempotent_and_serialised(
    cli: Runner, env: dict[str, str], isolated: Path, libs: tuple[str, str]
) -> None:
    bashrc = isolated / ".bashrc"
    bashrc.write_text("alias ll='ls -l'\n")
    results = []

    def apply() -> None:
        results.append(cli("fix", "--apply", "--target", "shell", env=env))

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.code for r in results] == [0, 0], [r.out + r.err for r in results]
    text = bashrc.read_text()
    assert text.startswith("alias ll='ls -l'\n") and text.count("# >>> devdoctor >>>") == 1
    assert sh("bash", f'. {bashrc}; echo "$LD_PRELOAD"', env) == [libs[0]]
    assert cli("undo", "--yes").code == 0
    assert bashrc.read_text() == "alias ll='ls -l'\n"


def test_print_target_writes_nothing(
    cli: Runner, env: dict[str, str], isolated: Path, user_venv: Path
) -> None:
    # devdoctor's caches (entry points, libraries) are written once, not by every run
    cli("check", "--python", str(user_venv / "bin" / "python"), env=env)
    before = tree_hashes(isolated, user_venv)
    ran = cli(
        "fix",
        "--apply",
        "--target",
        "print",
        "--python",
        str(user_venv / "bin" / "python"),
        env=env,
    )
    assert ran.code == 1
    assert "not applied" in ran.out and "export LD_PRELOAD=" in ran.out
    after = tree_hashes(isolated, user_venv)
    assert {
        k: v for k, v in after.items() if "/journal/" not in k and not k.endswith("/lock")
    } == before


def test_conda_target_needs_a_conda_env(cli: Runner, env: dict[str, str], user_venv: Path) -> None:
    ran = cli("fix", "--target", "conda", "--python", str(user_venv / "bin" / "python"), env=env)
    assert ran.code == 2 and "not a conda environment" in ran.err


@pytest.mark.parametrize(
    "value",
    [
        "/opt/lib.so\n# <<< devdoctor <<<\ntouch /tmp/devdoctor-pwned\n# >>> devdoctor >>>",
        "/opt/lib.so\rtouch /tmp/devdoctor-pwned",
        "/opt/My Libs/lib.so",  # ld.so would split it at the blank
    ],
    ids=["fake-end-marker", "carriage-return", "blank"],
)
def test_values_a_block_cannot_hold_are_refused(
    cli: Runner, plugin, isolated: Path, value: str
) -> None:
    env = {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": value}
    rc = isolated / ".bashrc"
    rc.write_text("# mine\n")
    for _ in range(2):  # the second write is where a fake end marker used to cut the block
        ran = cli("fix", "XX903", "--apply", "--target", "shell", env=env)
        assert ran.code == 1, ran.out + ran.err
        assert "cannot persist" in ran.out
    assert rc.read_text() == "# mine\n"
    assert not Path("/tmp/devdoctor-pwned").exists()


def test_crlf_outside_the_block_is_kept(cli: Runner, env: dict[str, str], isolated: Path) -> None:
    rc = isolated / ".bashrc"
    mine = b"# written on Windows\r\nalias ll='ls -l'\r\n"
    rc.write_bytes(mine)
    ran = cli("fix", "--apply", "--target", "shell", env=env)
    assert ran.code == 0, ran.out + ran.err
    assert rc.read_bytes().startswith(mine) and b"devdoctor" in rc.read_bytes()
    assert cli("undo", "--yes").code == 0
    assert rc.read_bytes() == mine


def test_a_symlinked_dotfile_stays_a_symlink(
    cli: Runner, env: dict[str, str], isolated: Path
) -> None:
    dotfiles = isolated / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_text("# from my dotfiles repo\n")
    rc = isolated / ".bashrc"
    rc.symlink_to(dotfiles / "bashrc")
    assert cli("fix", "--apply", "--target", "shell", env=env).code == 0
    assert rc.is_symlink() and "devdoctor" in (dotfiles / "bashrc").read_text()
    assert cli("undo", "--yes").code == 0
    assert rc.is_symlink() and (dotfiles / "bashrc").read_text() == "# from my dotfiles repo\n"


def test_a_value_csh_cannot_hold_still_reaches_the_other_shells(
    cli: Runner, plugin, user_venv: Path, libs: tuple[str, str], tmp_path: Path
) -> None:
    odd = tmp_path / "wow!"
    odd.mkdir()
    lib = odd / "liba.so"
    lib.write_bytes(Path(libs[0]).read_bytes())
    env = {**plugin("needs_preload", NEEDS_PRELOAD), "DDTEST_LIB": str(lib)}
    csh = (user_venv / "bin" / "activate.csh").read_bytes()
    ran = cli(
        "fix", "--apply", "--target", "venv", "--python", str(user_venv / "bin" / "python"), env=env
    )
    assert ran.code == 0, ran.out + ran.err
    assert "csh cannot quote the value" in ran.out
    assert (user_venv / "bin" / "activate.csh").read_bytes() == csh
    assert sh("bash", f". {user_venv}/bin/activate; echo $LD_PRELOAD", env) == [str(lib)]


def test_leftover_temp_files_are_swept(cli: Runner, env: dict[str, str], isolated: Path) -> None:
    rc = isolated / ".bashrc"
    rc.write_text("# mine\n")
    assert cli("fix", "--apply", "--target", "shell", env=env).code == 0
    leftover = isolated / ".bashrc.k1ll3d.devdoctor-tmp"  # as a run killed mid-write leaves it
    leftover.write_text("half")
    assert cli("undo", "--yes").code == 0
    assert not leftover.exists() and rc.read_text() == "# mine\n"
