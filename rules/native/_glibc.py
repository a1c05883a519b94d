"""glibc's static TLS budget: how much a library loaded after start-up (dlopen) may take.

Numbers from glibc's elf/dl-tls.c (_dl_tls_static_surplus_init): the surplus reserved at
start is 1664 bytes up to 2.31, and 288 * nns + optional_static_tls from 2.32 (1152 + 512 by
default). On x86_64 the block is rounded up to 64 bytes past libc's own 144, which is why a fresh
python3.11 on glibc 2.36 can still dlopen 1712 bytes (measured).
"""

from __future__ import annotations

from collections.abc import Mapping

TUNABLE = "glibc.rtld.optional_static_tls"
DEFAULT_OPTIONAL = 512
LIBC_TLS = 144  # libc.so.6's own PT_TLS, placed before the surplus


def version(text: str | None) -> tuple[int, int] | None:
    try:
        major, minor = (text or "").split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def tunables(env: Mapping[str, str]) -> dict[str, str]:
    pairs = (item.partition("=") for item in env.get("GLIBC_TUNABLES", "").split(":") if item)
    return {name: value for name, _, value in pairs}


def with_tunable(env: Mapping[str, str], name: str, value: int) -> str:
    """GLIBC_TUNABLES with `name` set, every other entry kept in place."""
    merged = tunables(env)
    merged[name] = str(value)
    return ":".join(f"{k}={v}" for k, v in merged.items())


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or "", 0)  # glibc reads decimal or 0x hex; "4k" is silently ignored
    except ValueError:
        return default


def has_tunable(glibc: tuple[int, int]) -> bool:
    """By version alone; `loader_has_tunables` reads the loader itself and knows backports
    (Debian 11's 2.31 has the 2.32 accounting)."""
    return glibc >= (2, 32)


def loader_has_tunables(ld_so: str | None, glibc: tuple[int, int]) -> bool:
    """Whether this loader has the 2.32 surplus accounting: its tunable's name is in the file."""
    if ld_so:
        try:
            with open(ld_so, "rb") as f:
                return TUNABLE.encode() in f.read(16 << 20)
        except OSError:
            pass
    return has_tunable(glibc)


def optional(env: Mapping[str, str]) -> int:
    """glibc.rtld.optional_static_tls as the loader will read it."""
    return _int(tunables(env).get(TUNABLE), DEFAULT_OPTIONAL)


def surplus(glibc: tuple[int, int], env: Mapping[str, str], accounting: bool | None = None) -> int:
    if not (has_tunable(glibc) if accounting is None else accounting):
        return 1664
    values = tunables(env)
    nns = min(max(_int(values.get("glibc.rtld.nns"), 4), 1), 16)
    return 288 * nns + _int(values.get(TUNABLE), DEFAULT_OPTIONAL)


def available(
    glibc: tuple[int, int], arch: str, env: Mapping[str, str], accounting: bool | None = None
) -> int:
    """Bytes of initial-exec TLS that late dlopens can still take in a fresh process."""
    room = surplus(glibc, env, accounting)
    if arch in ("x86_64", "i686"):
        return -(-(LIBC_TLS + room) // 64) * 64 - LIBC_TLS
    return room


def static_align(glibc: tuple[int, int], arch: str) -> int:
    """The static TLS block's alignment: a library aligned beyond it can never load late."""
    if arch in ("x86_64", "i686"):
        return 64
    if arch == "aarch64":
        return 32 if glibc >= (2, 35) else 16
    return 16
