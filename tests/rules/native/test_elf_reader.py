"""The ELF reader on hostile bytes: whatever a file says about its own offsets and sizes, the
reader answers TlsInfo or Unreadable, quickly and in bounded memory."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import time
from pathlib import Path

import pytest
from devdoctor.rules.native import _elf
from devdoctor.rules.native._elf import TlsInfo, Unreadable, read_tls, read_tls_from
from helpers import Runner, require_tool

SOURCE = """
__attribute__((tls_model("initial-exec"))) __thread char buf[4096];
int touch(int i) { buf[i % 4096] = (char)i; return i; }
"""
EXTREMES = [0, 1, 2**31 - 1, 2**32 - 1, 2**50, 2**63 - 1, 2**64 - 1]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    require_tool("gcc")
    out = tmp_path_factory.mktemp("elf")
    (out / "tls.c").write_text(SOURCE)
    lib = out / "libtls.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-ftls-model=initial-exec", "-o", str(lib), str(out / "tls.c")],
        check=True,
    )
    return lib.read_bytes()


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if len(buf) < 16:
            break
        kind = rng.random()
        if kind < 0.4:  # a field overwritten with an extreme value, where headers and tables live
            at = rng.randrange(0, min(len(buf) - 8, 8192))
            buf[at : at + 8] = struct.pack("<Q", rng.choice(EXTREMES))
        elif kind < 0.8:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        else:
            buf = buf[: rng.randrange(1, len(buf))]
    return bytes(buf)


def test_the_real_library_reads(library: bytes) -> None:
    info = read_tls_from(io.BytesIO(library))
    assert info.tls_bytes == 4096 and info.ie_relocs > 0 and info.needs_static_tls


def test_ten_thousand_mutations_never_escape(library: bytes) -> None:
    rng = random.Random(20261201)
    outcomes = {"read": 0, "unreadable": 0}
    start = time.monotonic()
    for _ in range(10_000):
        try:
            assert isinstance(read_tls_from(io.BytesIO(mutate(library, rng))), TlsInfo)
            outcomes["read"] += 1
        except Unreadable:
            outcomes["unreadable"] += 1
    assert outcomes["read"] and outcomes["unreadable"]  # both paths were exercised
    assert time.monotonic() - start < 60


def dynamic_entry_offset(data: bytes, tag: int) -> int:
    """Where the value of a dynamic tag sits in the file (64-bit little-endian)."""
    layout = _elf._layout(io.BytesIO(data))
    seg = next(s for s in layout.segments if s[0] == _elf.PT_DYNAMIC)
    for at in range(seg[1], seg[1] + seg[3], 16):
        if struct.unpack_from("<q", data, at)[0] == tag:
            return at + 8
    raise AssertionError(f"no tag {tag}")


def test_a_sparse_file_declaring_a_huge_table_is_unreadable_fast(
    library: bytes, tmp_path: Path
) -> None:
    """52 KB on disk, 3 GiB apparent, a 3 GiB relocation table declared."""
    data = bytearray(library)
    at = dynamic_entry_offset(library, _elf.DT_RELASZ)
    data[at : at + 8] = struct.pack("<Q", 3 << 30)
    path = tmp_path / "libsparse.so"
    path.write_bytes(data)
    os.truncate(path, (3 << 30) + len(data))
    start = time.monotonic()
    with pytest.raises(Unreadable, match="a table of"):
        read_tls(str(path))
    assert time.monotonic() - start < 1


@pytest.mark.parametrize(
    "damage",
    [
        '{"libraries": [], "folders": 3}',
        '{"libraries": {"/x": [1, 2, {"bad": 1}, null]}}',
        "[1, 2, 3]",
        "\x00\x01not json",
        '{"libraries": {}, "folders": {"/": [0, "x", 5]}}',
    ],
)
def test_a_damaged_cache_is_rebuilt(
    cli: Runner, tmp_path: Path, isolated: Path, damage: str
) -> None:
    import sys

    cache = isolated / ".cache" / "devdoctor"
    cache.mkdir(parents=True, exist_ok=True)
    first = cli("check", "DD101", "--format", "json", "--python", sys.executable)
    assert first.code in (0, 1), first.err
    for file in cache.glob("static-tls-*.json"):
        file.write_text(damage)
    again = cli("check", "DD101", "--format", "json", "--python", sys.executable)
    assert again.code == first.code, again.err
    assert again.json()["results"][0]["status"] == first.json()["results"][0]["status"]
