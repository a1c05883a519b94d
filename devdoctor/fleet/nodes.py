"""Host lists with ClusterShell's NodeSet (fold `node01,node02,node03` to `node[01-03]`, expand
`node[01-64]`), the one place it is imported."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from devdoctor.errors import UsageError


def fold(names: Iterable[str]) -> str:
    return _fold(frozenset(names))


@functools.lru_cache(maxsize=256)  # one merge folds the same sets again (expected, reported, ...)
def _fold(unique: frozenset[str]) -> str:
    from ClusterShell.NodeSet import RESOLVER_NOGROUP, NodeSet, NodeSetException

    names = sorted(unique)
    if not names:
        return ""
    try:  # no group resolution: a name is a name, never `@group`
        return str(NodeSet.fromlist(names, resolver=RESOLVER_NOGROUP))
    except NodeSetException:  # a name NodeSet cannot read stays as it is
        return ",".join(names)


def expand(hostlist: str) -> list[str]:
    """`node[01-03],gpu1` -> the names; a malformed list is a usage error."""
    from ClusterShell.NodeSet import RESOLVER_NOGROUP, NodeSet, NodeSetException

    try:
        return list(NodeSet(hostlist, resolver=RESOLVER_NOGROUP))
    except NodeSetException as exc:
        raise UsageError(f"{hostlist!r} is not a host list: {exc}") from None
