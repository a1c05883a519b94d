"""DD101 against the real aarch64 glibc loader (qemu-user, Debian's arm64 cross libc): every row
loads cross-built libraries in order with a small cross-built C loader and compares devdoctor's
verdict with what the loader really did. devdoctor may be pessimistic (it does not know the
import order), never optimistic; where it is exact, the rows say so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import require_tool

from devdoctor.api import Context, TargetFacts
from devdoctor.core import engine
from devdoctor.core.registry import load

SYSROOT = "/usr/aarch64-linux-gnu"
LD_SO = f"{SYSROOT}/lib/ld-linux-aarch64.so.1"
RULE = load(["DD101"]).find("DD101")
LOADER = r"""
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
static void *touch(void *fn) { ((int (*)(int))fn)(7); return NULL; }
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("FAIL %s\n", dlerror()); continue; }
    void *fn = dlsym(h, "dd_touch");  /* the initial-exec access really happens */
    if (fn) { pthread_t t; touch(fn); pthread_create(&t, NULL, touch, fn); pthread_join(t, NULL); }
    printf("OK\n");
  }
  return 0;
}
"""
TLS = """
static __thread __attribute__((aligned(ALIGN))) volatile char dd_buf[SIZE];
int dd_touch(int i) { dd_buf[i % SIZE] = (char)i; return dd_buf[0]; }
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("qemu-aarch64")
    require_tool("aarch64-linux-gnu-gcc")
    if not Path(LD_SO).exists():
        require_tool("the aarch64 loader (libc6-arm64-cross)")
    folder = tmp_path_factory.mktemp("aarch64")
    (folder / "loader.c").write_text(LOADER)
    (folder / "tls.c").write_text(TLS)
    subprocess.run(
        [
            "aarch64-linux-gnu-gcc",
            "-O2",
            "-o",
            str(folder / "loader"),
            str(folder / "loader.c"),
            "-ldl",
            "-lpthread",
        ],
        check=True,
    )
    return folder


def build(lab: Path, model: str, size: int, align: int = 8) -> Path:
    """ie: initial-exec (R_AARCH64_TLS_TPREL64); gd: aarch64's default, a TLS descriptor."""
    lib = lab / f"lib{model}{size}a{align}.so"
    if not lib.exists():
        flags = ["-ftls-model=initial-exec"] if model == "ie" else []
        subprocess.run(
            [
                "aarch64-linux-gnu-gcc",
                "-shared",
                "-fPIC",
                "-O2",
                *flags,
                f"-DSIZE={size}",
                f"-DALIGN={align}",
                "-o",
                str(lib),
                str(lab / "tls.c"),
            ],
            check=True,
        )
    return lib


def real(lab: Path, libs: list[Path], tunable: int | None, preload: Path | None) -> bool:
    """Whether every library loads, in this order, under the real aarch64 loader."""
    guest_env = []
    if tunable is not None:
        guest_env += ["-E", f"GLIBC_TUNABLES=glibc.rtld.optional_static_tls={tunable}"]
    if preload:
        guest_env += ["-E", f"LD_PRELOAD={preload}"]
    out = subprocess.run(
        ["qemu-aarch64", "-L", SYSROOT, *guest_env, str(lab / "loader"), *map(str, libs)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.count("\n") == len(libs), out
    return "FAIL" not in out


def aarch64_environment(tmp: Path, libs: list[Path], env: dict[str, str]) -> Context:
    """A context examining an aarch64 glibc 2.36 environment whose site-packages hold `libs`."""
    site = tmp / "site-packages" / "pkg.libs"
    site.mkdir(parents=True)
    for lib in libs:
        shutil.copy2(lib, site / lib.name)
    facts = TargetFacts(
        "/usr/bin/python3", "3.11.2", "CPython", "linux", "aarch64", "2.36", LD_SO, "/usr",
        "/usr", (str(site.parent),), False, False, (),
    )  # fmt: skip
    return Context(tmp, env, target_facts=facts)


def verdict(
    lab: Path, tmp: Path, libs: list[Path], tunable: int | None, preload: Path | None
) -> str:
    """DD101's status for an aarch64 environment holding these libraries."""
    env = {}
    if tunable is not None:
        env["GLIBC_TUNABLES"] = f"glibc.rtld.optional_static_tls={tunable}"
    if preload:
        env["LD_PRELOAD"] = str(tmp / "site-packages" / "pkg.libs" / preload.name)
    return engine.run([RULE], aarch64_environment(tmp, libs, env))[0].status.value


# (libraries in load order, optional_static_tls, preload the last one, devdoctor is exact)
ROWS = {
    "ie1024": ([("ie", 1024)], None, False, True),
    "ie1600": ([("ie", 1600)], None, False, True),
    "ie1700": ([("ie", 1700)], None, False, True),
    "ie2048-align16": ([("ie", 2048, 16)], None, False, True),
    "ie64-align32": ([("ie", 64, 32)], None, False, True),
    "ie64-align64": ([("ie", 64, 64)], None, False, True),
    "ie64-align128": ([("ie", 64, 128)], None, False, True),
    "2x ie1000": ([("ie", 1000), ("ie", 1000)], None, False, True),
    "4x ie400": ([("ie", 400)] * 4, None, False, True),
    "5x ie400": ([("ie", 400)] * 5, None, False, True),
    "gd480 then ie1000": ([("gd", 480), ("ie", 1000)], None, False, True),
    "gd480 then ie1400": ([("gd", 480), ("ie", 1400)], None, False, True),
    "ie1400 then gd480": ([("ie", 1400), ("gd", 480)], None, False, False),
    "gd512 then ie1152": ([("gd", 512), ("ie", 1152)], None, False, False),
    "gd512 then ie1153": ([("gd", 512), ("ie", 1153)], None, False, True),
    "gd300 gd300 then ie1300": ([("gd", 300), ("gd", 300), ("ie", 1300)], None, False, False),
    "gd600 then ie1600": ([("gd", 600), ("ie", 1600)], None, False, True),
    "gd600 then ie1600, tunable 1024": ([("gd", 600), ("ie", 1600)], 1024, False, True),
    "gd480 then ie1400, tunable 0": ([("gd", 480), ("ie", 1400)], 0, False, True),
    "gd480 then ie1400, tunable 512": ([("gd", 480), ("ie", 1400)], 512, False, True),
    "gd480 then ie1400, tunable 1024": ([("gd", 480), ("ie", 1400)], 1024, False, True),
    "gd480 then ie1400, tunable 2048": ([("gd", 480), ("ie", 1400)], 2048, False, True),
    "ie2048 preloaded": ([("ie", 2048)], None, True, True),
    "ie64-align64 preloaded": ([("ie", 64, 64)], None, True, True),
}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_devdoctor_agrees_with_the_real_aarch64_loader(lab: Path, tmp_path: Path, row: str) -> None:
    specs, tunable, preload_last, exact = ROWS[row]
    libs = [build(lab, *spec) for spec in specs]
    preload = libs[-1] if preload_last else None
    loads = real(lab, libs, tunable, preload)
    said = verdict(lab, tmp_path, libs, tunable, preload)
    if not loads:
        assert said in ("fail", "warn"), f"{row}: the loader fails, devdoctor said {said}"
    if exact:
        assert said == ("pass" if loads else "fail"), f"{row}: loads={loads}, devdoctor {said}"


def test_descriptors_are_counted_from_the_plt_table(lab: Path) -> None:
    from devdoctor.rules.native._elf import read_tls

    info = read_tls(str(build(lab, "gd", 480)))
    assert (info.tlsdesc_relocs, info.ie_relocs) == (1, 0)


def test_the_tunable_fix_is_sized_for_the_descriptors(lab: Path, tmp_path: Path) -> None:
    """The alternative's value, applied, really loads the set (raising the tunable also lets
    descriptor libraries take more)."""
    libs = [build(lab, "gd", 600), build(lab, "ie", 1600), build(lab, "ie", 1000)]
    result = engine.run([RULE], aarch64_environment(tmp_path, libs, {}))[0]
    assert result.status.value == "fail"
    tunable = next(
        f
        for d in result.diagnostics
        for f in d.fixes
        if f.env and f.env[0].name == "GLIBC_TUNABLES"
    )
    value = int(tunable.env[0].value.rsplit("=", 1)[1])
    assert real(lab, libs, value, None), f"optional_static_tls={value} does not load the set"
