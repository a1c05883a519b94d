"""How much static TLS an initial-exec library loaded late may take in an environment: glibc's
surplus (read from its loader), less what TLS-descriptor libraries take first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from devdoctor.api import TargetFacts

from . import _glibc as glibc
from ._libscan import Library


@dataclass(frozen=True)
class Budget:
    glibc: tuple[int, int]
    arch: str
    room: int  # bytes of initial-exec TLS late loads may take, after descriptor libraries
    align: int  # the static block's alignment
    accounting: bool  # the 2.32 surplus accounting: tunables, and descriptors capped
    descriptors: int = 0  # bytes that TLS-descriptor libraries take from the surplus first
    descriptors_all: int = 0  # all their blocks: what they could take if allowed

    @classmethod
    def of(
        cls, facts: TargetFacts, env: Mapping[str, str], libraries: Sequence[Library] = ()
    ) -> Budget | None:
        version = glibc.version(facts.glibc)
        if facts.platform != "linux" or version is None:
            return None
        arch = facts.machine
        accounting = glibc.loader_has_tunables(facts.ld_so, version)
        room = glibc.available(version, arch, env, accounting)
        optional = glibc.optional(env)
        blocks = descriptor_blocks(libraries, arch)
        fitting = sum(padded for size, padded in blocks if size <= optional)
        taken = min(optional, fitting) if accounting else 0
        return cls(
            version,
            arch,
            room - taken,
            glibc.static_align(version, arch),
            accounting,
            taken,
            sum(padded for _, padded in blocks),
        )


def descriptor_blocks(libraries: Sequence[Library], arch: str) -> list[tuple[int, int]]:
    """(block size, with worst-case padding) of each library using only TLS descriptors. glibc
    2.32+ places such a block statically while its size fits in what is left of
    `optional_static_tls` (aarch64's default dialect; x86_64 with -mtls-dialect=gnu2), so they
    count as if all loaded first: never optimistic."""
    return [
        (lib.info.tls_bytes, lib.info.tls_bytes + lib.info.align - 1)
        for lib in libraries
        if lib.info
        and lib.info.machine == arch
        and lib.info.tlsdesc_relocs
        and not lib.info.needs_static_tls
        and lib.info.tls_bytes > 0
    ]


def tunable_size(env: Mapping[str, str], budget: Budget, demand: int) -> int:
    """optional_static_tls for initial-exec libraries needing `demand` bytes. Raising it also
    lets descriptor libraries take more (up to all their blocks), so their whole size is added:
    a bigger value could otherwise break a load that worked. Verification has the last word."""
    zero = glibc.with_tunable(env, glibc.TUNABLE, 0)
    base = glibc.available(budget.glibc, budget.arch, {"GLIBC_TUNABLES": zero}, True)
    needed = demand - base + budget.descriptors_all
    return max(1024, -(-needed // 1024) * 1024)
