"""DD101 on this machine's real glibc: compiled libraries, real venvs, real loads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Runner, sh, tree_hashes

SOURCE = """
#ifndef TLS_BYTES
#define TLS_BYTES 4096
#endif
#ifndef TLS_ALIGN
#define TLS_ALIGN 16
#endif
__attribute__((tls_model("initial-exec"), aligned(TLS_ALIGN)))
__thread char devdoctor_tls_buf[TLS_BYTES];
int devdoctor_touch(int i) { devdoctor_tls_buf[i % TLS_BYTES] = (char)i; return i; }
"""
LOAD = "python -c \"import ctypes, sys; ctypes.CDLL(sys.argv[1]); print('LOADED')\" {lib}"


@pytest.fixture(scope="module")
def tls_libs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("tlslibs")
    (out / "ie_tls.c").write_text(SOURCE)
    made = {}
    for name, flags in {
        "big": ["-DTLS_BYTES=4096"],
        "small": ["-DTLS_BYTES=64"],
        "aligned": ["-DTLS_BYTES=64", "-DTLS_ALIGN=128"],
    }.items():
        lib = out / f"lib{name}tls.so"
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-fPIC",
                "-O2",
                "-ftls-model=initial-exec",
                *flags,
                "-o",
                str(lib),
                str(out / "ie_tls.c"),
            ],
            check=True,
        )
        made[name] = lib
    return made


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


def install(venv: Path, *libs: Path, folder: str = "fakepkg.libs") -> list[Path]:
    """Copy libraries into the venv the way auditwheel vendors them."""
    target = site_packages(venv) / folder
    target.mkdir(exist_ok=True)
    placed = []
    for lib in libs:
        shutil.copy2(lib, target / lib.name)
        placed.append(target / lib.name)
    return placed


def real_error(lib: Path) -> str:
    """The error line glibc really prints when the library is loaded late."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(lib)!r})"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    return proc.stderr.strip().splitlines()[-1]


def dd101(ran_json: dict) -> dict:
    return next(r for r in ran_json["results"] if r["code"] == "DD101")


# --- from output ----------------------------------------------------------------------------


def test_diagnose_the_real_error(cli: Runner, tls_libs: dict[str, Path], tmp_path: Path) -> None:
    line = real_error(tls_libs["big"])
    assert "cannot allocate memory in static TLS block" in line
    log = tmp_path / "train.log"
    log.write_text(f"epoch 1\nTraceback (most recent call last):\n{line}\n")
    ran = cli("diagnose", str(log), "--format", "json")
    assert ran.code == 1
    [match] = ran.json()["matches"]
    assert match["code"] == "DD101" and match["first_line"] == 3
    assert match["facts"]["library"] == os.path.realpath(tls_libs["big"])
    assert match["fix"]["title"] == "Preload libbigtls.so (LD_PRELOAD)"


@pytest.mark.parametrize(
    "form",
    [
        "ImportError: {p}: cannot allocate memory in static TLS block",
        "OSError: {p}: cannot allocate memory in static TLS block",
        "python3: error while loading shared libraries: {p}: cannot allocate memory in static TLS "
        "block",
        "dlopen error: {p}: cannot allocate memory in static TLS block",
        "java.lang.UnsatisfiedLinkError: dlopen failed: {p}: cannot allocate memory in static TLS "
        "block",
        "{p}: cannot allocate memory in static TLS block",
        "['ImportError: {p}: cannot allocate memory in static TLS block']",
        "ImportError('{p}: cannot allocate memory in static TLS block')",
        '{{"error": "ImportError: {js}: cannot allocate memory in static TLS block\\n"}}',
        "[rank0]: 2026-01-01 12:00:00,001 E   ImportError: {p}: cannot allocate memory in static "
        "TLS block",
        "\x1b[31mImportError: {p}: cannot allocate memory in static TLS block\x1b[0m",
    ],
)
def test_pasted_forms(cli: Runner, tls_libs: dict[str, Path], tmp_path: Path, form: str) -> None:
    real = real_error(tls_libs["big"])
    path = real.split(": cannot allocate")[0].split(": ")[-1]
    via_dotdot = str(tls_libs["big"].parent / "sub" / ".." / tls_libs["big"].name)
    for p in (path, via_dotdot):
        log = tmp_path / "pasted.log"
        log.write_text(form.format(p=p, js=p.replace("/", "\\/")) + "\n")
        [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
        assert match["facts"]["library"] == os.path.realpath(tls_libs["big"]), form


def test_relative_and_elided_paths_are_found_in_the_target(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path, tmp_path: Path
) -> None:
    [placed] = install(user_venv, tls_libs["big"], folder="scikit_learn.libs")
    env = {"VIRTUAL_ENV": str(user_venv)}
    for written in (
        ".../site-packages/sklearn/../../scikit_learn.libs/libbigtls.so",
        "./libbigtls.so",
        "/home/someone/gone/libbigtls.so",
    ):
        log = tmp_path / "issue.txt"
        log.write_text(f"ImportError: {written}: cannot allocate memory in static TLS block\n")
        [match] = cli("diagnose", str(log), "--format", "json", env=env).json()["matches"]
        assert match["facts"]["library"] == str(placed.resolve()), written
        assert match["facts"]["written"] == written
        assert match["fix"] is not None


@pytest.mark.parametrize(
    "line",
    [
        "OSError: libfoo.so: cannot open shared object file: No such file or directory",
        "ImportError: /usr/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found",
        "static TLS block is a glibc concept; nothing failed here",
    ],
)
def test_look_alikes_do_not_match(cli: Runner, tmp_path: Path, line: str) -> None:
    log = tmp_path / "other.log"
    log.write_text(line + "\n")
    matches = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert "static-tls" not in {m["name"] for m in matches}


# --- from the environment -------------------------------------------------------------------


def test_scan_reports_sizes_flags_alignment_and_junk(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path, tmp_path: Path
) -> None:
    install(user_venv, tls_libs["big"], tls_libs["small"], tls_libs["aligned"])
    libs = site_packages(user_venv) / "fakepkg.libs"
    (libs / "libnotelf.so").write_text("INPUT(-lc)\n")  # a linker script
    (libs / "libtruncated.so.1").write_bytes(tls_libs["big"].read_bytes()[:600])
    subprocess.run(
        ["gcc", "-m32", "-fPIC", "-c", "-x", "c", "-", "-o", str(libs / "lib32.so")],
        input="int x;",
        text=True,
        check=True,
    )
    (libs / "libloop.so").symlink_to(libs / "libloop2.so")
    (libs / "libloop2.so").symlink_to(libs / "libloop.so")
    (libs / "libgone.so").symlink_to(tmp_path / "nowhere.so")
    ran = cli("check", "DD101", "--format", "json", "--python", str(user_venv / "bin" / "python"))
    assert ran.code == 1, ran.err
    result = dd101(ran.json())
    facts = result["diagnostics"][0]["facts"]
    assert facts["glibc"] and facts["arch"] == os.uname().machine
    assert facts["surplus_bytes"] == 1712  # glibc >= 2.32 on x86_64, default tunables
    by_name = {Path(lib["path"]).name: lib for lib in facts["libraries"]}
    assert by_name["libbigtls.so"]["tls_bytes"] == 4096 and by_name["libbigtls.so"]["align"] == 16
    assert by_name["libsmalltls.so"]["tls_bytes"] == 64
    assert by_name["libalignedtls.so"]["align"] == 128
    assert all(lib["static_tls_flag"] and lib["ie_relocs"] >= 1 for lib in by_name.values())
    unreadable = {Path(u["path"]).name for u in facts["unreadable"]}
    assert unreadable >= {
        "libnotelf.so",
        "libtruncated.so.1",
        "lib32.so",
        "libloop.so",
        "libgone.so",
    }
    messages = {d["message"] for d in result["diagnostics"]}
    assert any("libalignedtls.so: its TLS is aligned to 128" in m for m in messages)
    assert any("libbigtls.so needs 4111 bytes" in m for m in messages)


def test_small_library_passes_and_many_copies_fail_together(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path, tmp_path: Path
) -> None:
    python = str(user_venv / "bin" / "python")
    install(user_venv, tls_libs["small"])
    doc = cli("check", "DD101", "--format", "json", "--python", python).json()
    assert dd101(doc)["status"] == "pass"
    copies = tmp_path / "copies"
    copies.mkdir()
    for n in range(25):  # 25 x 79 bytes > 1712
        shutil.copy(tls_libs["small"], copies / f"libsmall{n}.so")
    install(user_venv, *copies.iterdir())
    result = dd101(cli("check", "DD101", "--format", "json", "--python", python).json())
    assert result["status"] == "fail"
    assert "26 libraries together need" in result["diagnostics"][0]["message"]


def test_a_preloaded_library_is_no_longer_a_problem(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path
) -> None:
    [placed] = install(user_venv, tls_libs["big"])
    python = str(user_venv / "bin" / "python")
    env = {"LD_PRELOAD": str(placed)}
    assert (
        dd101(cli("check", "DD101", "--format", "json", "--python", python, env=env).json())[
            "status"
        ]
        == "pass"
    )


def test_deep_mode_confirms_in_a_child(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path, tmp_path: Path
) -> None:
    install(user_venv, tls_libs["big"])
    (tmp_path / "pyproject.toml").write_text("[tool.devdoctor.rules.static-tls]\ndeep = true\n")
    result = dd101(
        cli(
            "check", "DD101", "--format", "json", "--python", str(user_venv / "bin" / "python")
        ).json()
    )
    confirmed = result["diagnostics"][0]["facts"]["confirmed"]
    assert "cannot allocate memory in static TLS block" in confirmed


@pytest.mark.parametrize(
    "package, pattern", [("torch", "torch/lib/libgomp*"), ("sklearn", "scikit_learn.libs/libgomp*")]
)
def test_real_wheels_bundled_libgomp_is_found(cli: Runner, package: str, pattern: str) -> None:
    import importlib.util
    import site

    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed where the tests run (never a dependency)")
    bundled = [p for sp in site.getsitepackages() for p in Path(sp).glob(pattern)]
    doc = cli("check", "DD101", "--format", "json", "--python", sys.executable).json()
    paths = {lib["path"] for lib in dd101(doc)["diagnostics"][0]["facts"]["libraries"]}
    assert {str(p.resolve()) for p in bundled} <= paths


# --- fixes ----------------------------------------------------------------------------------


def test_preload_fix_round_trip_in_a_real_venv(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path
) -> None:
    [placed] = install(user_venv, tls_libs["big"])
    python = str(user_venv / "bin" / "python")
    activate = user_venv / "bin" / "activate"
    pristine = tree_hashes(user_venv / "bin")
    assert (
        "cannot allocate memory"
        in subprocess.run(
            ["bash", "-c", f". {activate}; {LOAD.format(lib=placed)}"],
            capture_output=True,
            text=True,
        ).stderr
    )

    ran = cli("fix", "DD101", "--apply", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    assert "Preload libbigtls.so (LD_PRELOAD): fixed" in ran.out
    assert "verified in a new process" in ran.out
    assert sh("bash", f". {activate}; {LOAD.format(lib=placed)}", {}) == ["LOADED"]
    assert (
        dd101(
            cli(
                "check",
                "DD101",
                "--format",
                "json",
                "--python",
                python,
                env={"VIRTUAL_ENV": str(user_venv)},
            ).json()
        )["status"]
        == "fail"
    )  # live env

    assert cli("undo", "--yes").code == 0
    assert tree_hashes(user_venv / "bin") == pristine


def test_tunable_alternative_loads_the_big_library(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path
) -> None:
    [placed] = install(user_venv, tls_libs["big"])
    python = str(user_venv / "bin" / "python")
    preview = cli("fix", "DD101", "--python", python)
    assert "alternative 1 (safe): Raise glibc.rtld.optional_static_tls to 3072" in preview.out
    env = {"GLIBC_TUNABLES": "glibc.malloc.check=0"}  # kept, not overwritten
    ran = cli("fix", "DD101", "--alternative", "1", "--apply", "--python", python, env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "(GLIBC_TUNABLES): fixed" in ran.out
    out = sh(
        "bash", f". {user_venv}/bin/activate; echo $GLIBC_TUNABLES; {LOAD.format(lib=placed)}", env
    )
    assert out == ["glibc.malloc.check=0:glibc.rtld.optional_static_tls=3072", "LOADED"]


def test_no_tunable_for_the_over_aligned_library(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path
) -> None:
    [placed] = install(user_venv, tls_libs["aligned"])
    python = str(user_venv / "bin" / "python")
    preview = cli("fix", "DD101", "--python", python)
    assert "Preload libalignedtls.so" in preview.out and "alternative" not in preview.out
    # glibc agrees: the tunable does not help an alignment failure, the preload does
    tunable = {**os.environ, "GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=65536"}
    load = [python, "-c", f"import ctypes; ctypes.CDLL({str(placed)!r})"]
    assert subprocess.run(load, env=tunable, capture_output=True).returncode != 0
    assert (
        subprocess.run(
            load, env={**os.environ, "LD_PRELOAD": str(placed)}, capture_output=True
        ).returncode
        == 0
    )


def test_fix_from_a_log_into_a_conda_env(
    cli: Runner, tls_libs: dict[str, Path], tmp_path: Path
) -> None:
    prefix = tmp_path / "conda-env"
    (prefix / "conda-meta").mkdir(parents=True)
    before = tree_hashes(prefix)
    log = tmp_path / "job.log"
    log.write_text(real_error(tls_libs["big"]) + "\n")
    env = {"CONDA_PREFIX": str(prefix)}
    ran = cli("fix", "DD101", "--from-log", str(log), "--apply", env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "Preload libbigtls.so (LD_PRELOAD): fixed" in ran.out
    script = prefix / "etc" / "conda" / "activate.d" / "devdoctor.sh"
    assert sh("bash", f". {script}; {LOAD.format(lib=tls_libs['big'])}", {}) == ["LOADED"]
    assert cli("undo", "--yes").code == 0
    assert tree_hashes(prefix) == before


def test_stale_preload_after_an_upgrade_is_caught_by_dd102(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path
) -> None:
    [placed] = install(user_venv, tls_libs["big"], folder="scikit_learn.libs")
    python = str(user_venv / "bin" / "python")
    assert cli("fix", "DD101", "--apply", "--python", python).code == 0
    placed.unlink()  # the next release vendors libgomp under another hash
    doc = cli("check", "DD102", "--format", "json", "--python", python).json()
    assert doc["results"][0]["status"] == "fail"
    assert "DD102" in cli("explain", "DD101").out


def test_a_path_with_a_blank_is_never_preloaded(
    cli: Runner, tls_libs: dict[str, Path], tmp_path: Path
) -> None:
    """ld.so splits LD_PRELOAD at blanks: a venv under `My Projects` gets the tunable instead."""
    import venv

    spaced = tmp_path / "My Projects" / "venv"
    venv.create(spaced, with_pip=False, symlinks=True)
    [placed] = install(spaced, tls_libs["big"])
    python = str(spaced / "bin" / "python")
    preview = cli("fix", "DD101", "--python", python)
    assert "Preload libbigtls.so from a path without blanks or colons" in preview.out
    ran = cli("fix", "DD101", "--apply", "--python", python)
    assert ran.code == 0, ran.out + ran.err
    assert "(GLIBC_TUNABLES): fixed" in ran.out
    activate = (spaced / "bin" / "activate").read_text()
    assert "LD_PRELOAD" not in activate
    command = f". '{spaced}/bin/activate'; {LOAD.format(lib=repr(str(placed)))}"
    assert sh("bash", command, {}) == ["LOADED"]


@pytest.fixture
def lib_with_missing_dependency(tmp_path: Path) -> Path:
    """Needs static TLS and a library that is gone: preloading it cannot work."""
    (tmp_path / "dep.c").write_text("int dep(void) { return 1; }\n")
    (tmp_path / "ie.c").write_text(SOURCE + "int dep(void);\nint use(void) { return dep(); }\n")
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "libgonedep.so"), str(tmp_path / "dep.c")],
        check=True,
    )
    lib = tmp_path / "libneedsgone.so"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-ftls-model=initial-exec",
            "-o",
            str(lib),
            str(tmp_path / "ie.c"),
            f"-L{tmp_path}",
            "-lgonedep",
        ],
        check=True,
    )
    (tmp_path / "libgonedep.so").unlink()
    return lib


def test_a_fix_that_fails_its_proof_is_rolled_back(
    cli: Runner, lib_with_missing_dependency: Path, user_venv: Path
) -> None:
    install(user_venv, lib_with_missing_dependency)
    python = str(user_venv / "bin" / "python")
    pristine = tree_hashes(user_venv / "bin")
    ran = cli("fix", "DD101", "--apply", "--python", python)
    assert ran.code == 1, ran.out + ran.err
    assert "not fixed, rolled back" in ran.out and "libgonedep.so" in ran.out
    assert tree_hashes(user_venv / "bin") == pristine
    assert "Nothing to undo." in cli("undo", "--yes").out
    kept = cli("fix", "DD101", "--apply", "--keep-unverified", "--python", python)
    assert kept.code == 1 and ": not fixed" in kept.out and "rolled back" not in kept.out
    assert "LD_PRELOAD" in (user_venv / "bin" / "activate").read_text()
    assert cli("undo", "--yes").code == 0
    assert tree_hashes(user_venv / "bin") == pristine


def test_x86_64_tls_descriptors_take_their_share_too(
    cli: Runner, user_venv: Path, tmp_path: Path
) -> None:
    """On x86_64 descriptors are opt-in (-mtls-dialect=gnu2); the same model holds."""
    src = tmp_path / "tls.c"
    src.write_text(
        "static __thread volatile char dd_buf[SIZE];\n"
        "int dd_touch(int i) { dd_buf[i % SIZE] = (char)i; return dd_buf[0]; }\n"
    )
    gd, ie = tmp_path / "libgd480.so", tmp_path / "libie1400.so"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O2",
            "-mtls-dialect=gnu2",
            "-DSIZE=480",
            "-o",
            str(gd),
            str(src),
        ],
        check=True,
    )
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O2",
            "-ftls-model=initial-exec",
            "-DSIZE=1400",
            "-o",
            str(ie),
            str(src),
        ],
        check=True,
    )
    placed_gd, placed_ie = install(user_venv, gd, ie)
    python = str(user_venv / "bin" / "python")
    load = f"import ctypes; ctypes.CDLL({str(placed_gd)!r}); ctypes.CDLL({str(placed_ie)!r})"
    real = subprocess.run([python, "-c", load], capture_output=True, text=True)
    assert "cannot allocate memory in static TLS block" in real.stderr
    doc = cli("check", "DD101", "--format", "json", "--python", python).json()
    result = dd101(doc)
    assert result["status"] == "fail"
    assert result["diagnostics"][0]["facts"]["descriptor_bytes"] >= 480


def test_a_log_is_fixed_in_the_environment_that_owns_the_library(
    cli: Runner, tls_libs: dict[str, Path], user_venv: Path, tmp_path: Path
) -> None:
    """The active environment is another one: the fix still goes where the library lives."""
    import shlex

    [placed] = install(user_venv, tls_libs["big"])
    log = tmp_path / "job.log"
    log.write_text(f"ImportError: {real_error(placed)}\n")
    other = tmp_path / "other-venv"
    import venv

    venv.create(other, with_pip=False, symlinks=True)
    env = {"VIRTUAL_ENV": str(other)}
    ran = cli("diagnose", str(log), env=env)
    assert f"for the environment {user_venv}" in ran.out
    command = next(line.strip() for line in ran.out.splitlines() if "--from-log" in line)
    assert f"--python {user_venv}/bin/python" in command
    applied = cli(*shlex.split(command)[1:], "--apply", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert "LD_PRELOAD" in (user_venv / "bin" / "activate").read_text()
    assert "LD_PRELOAD" not in (other / "bin" / "activate").read_text()
