"""The loader emulator against the real loader: which libfoo.so.1 a child process maps
(/proc/self/maps) for RUNPATH, RPATH, LD_LIBRARY_PATH and $ORIGIN, and the ld.so.cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from devdoctor.rules.native._dynamic import read_dynamic
from devdoctor.rules.native._loader import Loader, parse_ld_cache

MAPPED = """
import ctypes, sys
ctypes.CDLL(sys.argv[1])
for line in open('/proc/self/maps'):
    if line.rstrip().endswith('/libfoo.so.1'):
        print(line.split()[-1]); break
"""


def gcc(*args: str | Path) -> None:
    subprocess.run(["gcc", *map(str, args)], check=True, capture_output=True)


def libfoo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "foo.c").write_text("int foo1(void) { return 1; }\n")
    gcc(
        "-shared",
        "-fPIC",
        "-Wl,-soname,libfoo.so.1",
        "-o",
        folder / "libfoo.so.1",
        folder / "foo.c",
    )
    return folder / "libfoo.so.1"


def consumer(folder: Path, name: str, link: Path, *flags: str) -> Path:
    (folder / "user.c").write_text("int foo1(void);\nint use(void) { return foo1(); }\n")
    out = folder / name
    gcc(
        "-shared",
        "-fPIC",
        "-o",
        out,
        folder / "user.c",
        f"-L{link.parent}",
        "-l:libfoo.so.1",
        *flags,
    )
    return out


def real(library: Path, env: dict[str, str]) -> str:
    ran = subprocess.run(
        [sys.executable, "-c", MAPPED, str(library)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return os.path.realpath(ran.stdout.strip())


@pytest.mark.parametrize(
    "flags, library_path, expected",
    [
        (("-Wl,--enable-new-dtags,-rpath,{b}",), "", "b"),
        (("-Wl,--enable-new-dtags,-rpath,{b}",), "{a}", "a"),  # LD_LIBRARY_PATH beats RUNPATH
        (("-Wl,--disable-new-dtags,-rpath,{b}",), "{a}", "b"),  # RPATH beats LD_LIBRARY_PATH
        (("-Wl,--enable-new-dtags,-rpath,$ORIGIN/b",), "", "b"),
        ((), "{missing}:{a}", "a"),
    ],
    ids=["runpath", "ld_library_path-first", "rpath-first", "origin", "path-order"],
)
def test_agrees_with_the_real_loader(
    tmp_path: Path, flags, library_path: str, expected: str
) -> None:
    a, b = libfoo(tmp_path / "a"), libfoo(tmp_path / "b")
    dirs = {"a": str(a.parent), "b": str(b.parent), "missing": str(tmp_path / "nothing")}
    lib = consumer(tmp_path, "libuser.so", b, *(f.format(**dirs) for f in flags))
    env = {"LD_LIBRARY_PATH": library_path.format(**dirs)} if library_path else {}
    resolved = Loader(env).resolve("libfoo.so.1", str(lib), read_dynamic(str(lib)))
    assert (
        os.path.realpath(resolved.path or "") == real(lib, env) == str({"a": a, "b": b}[expected])
    )


def test_a_file_for_another_machine_is_skipped(tmp_path: Path) -> None:
    """The loader passes over a copy of the wrong architecture, and so does the emulator."""
    cross = "aarch64-linux-gnu-gcc"
    if subprocess.run(["which", cross], capture_output=True).returncode:
        from helpers import require_tool

        require_tool(cross)
    a, b = tmp_path / "a", libfoo(tmp_path / "b")
    a.mkdir()
    (a / "foo.c").write_text("int foo1(void) { return 1; }\n")
    subprocess.run(
        [
            cross,
            "-shared",
            "-fPIC",
            "-Wl,-soname,libfoo.so.1",
            "-o",
            str(a / "libfoo.so.1"),
            str(a / "foo.c"),
        ],
        check=True,
    )
    lib = consumer(tmp_path, "libuser.so", b, f"-Wl,--enable-new-dtags,-rpath,{b.parent}")
    env = {"LD_LIBRARY_PATH": str(a)}
    resolved = Loader(env).resolve("libfoo.so.1", str(lib), read_dynamic(str(lib)))
    assert resolved.path == str(b) == real(lib, env)


def test_the_ld_so_cache_is_read_like_ldconfig_prints_it() -> None:
    printed = subprocess.run(
        ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True
    ).stdout
    expected: dict[str, str] = {}
    for line in printed.splitlines()[1:]:
        name, _, rest = line.strip().partition(" (")
        if "x86-64" in rest or "AArch64" in rest:
            expected.setdefault(name, rest.rpartition("=> ")[2])
    parsed = parse_ld_cache(
        Path("/etc/ld.so.cache").read_bytes(),
        "EM_X86_64" if os.uname().machine == "x86_64" else "EM_AARCH64",
    )
    assert parsed == expected


def test_damaged_caches_are_empty() -> None:
    assert parse_ld_cache(b"") == {}
    assert parse_ld_cache(b"glibc-ld.so.cache1.1" + b"\xff" * 30) == {}


def test_rpath_is_passed_down_the_chain(tmp_path: Path) -> None:
    """A vendored library without RPATH finds its sibling through the RPATH of the extension
    that loaded it (how wheels' .libs folders work); the closure walk agrees with the loader."""
    from devdoctor.rules.native._linkage import unresolved

    libs = tmp_path / "pkg.libs"
    libs.mkdir()
    (libs / "leaf.c").write_text("int leaf(void) { return 1; }\n")
    gcc(
        "-shared",
        "-fPIC",
        "-Wl,-soname,libleaf-1a2b.so",
        "-o",
        libs / "libleaf-1a2b.so",
        libs / "leaf.c",
    )
    (libs / "mid.c").write_text("int leaf(void);\nint mid(void) { return leaf(); }\n")
    gcc(
        "-shared",
        "-fPIC",
        "-Wl,-soname,libmid-3c4d.so",
        "-o",
        libs / "libmid-3c4d.so",
        libs / "mid.c",
        f"-L{libs}",
        "-l:libleaf-1a2b.so",
    )  # no RPATH of its own
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "ext.c").write_text("int mid(void);\nint ext(void) { return mid(); }\n")
    ext = pkg / "ext.so"
    gcc(
        "-shared",
        "-fPIC",
        "-o",
        ext,
        pkg / "ext.c",
        f"-L{libs}",
        "-l:libmid-3c4d.so",
        "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../pkg.libs",
    )
    loaded = subprocess.run(
        [sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(ext)!r})"],
        capture_output=True,
        text=True,
        env={},
    )
    assert loaded.returncode == 0, loaded.stderr
    assert unresolved(Loader({}), str(ext), read_dynamic(str(ext))) == []
    (libs / "libleaf-1a2b.so").unlink()
    assert [name for name, _ in unresolved(Loader({}), str(ext), read_dynamic(str(ext)))] == [
        "libleaf-1a2b.so"
    ]
