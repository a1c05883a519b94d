"""The rule-author API: everything a rule module may import from devdoctor.

The helper modules (gitedit, glibc, hfhub, netprobe) load on first use: every rule module is
imported on every run, and `devdoctor check DD302` should not pay for ssl and http.client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from devdoctor.context import Context, ProcessInfo
from devdoctor.fix import Applicability, EnvChange, EnvOp, FileEdit, Fix, PackageEdit
from devdoctor.rule import Diagnostic, Rule, Scope, Signature, Status
from devdoctor.target import TargetError

if TYPE_CHECKING:
    from devdoctor import gitedit, glibc, hfhub, netprobe

_LAZY = {"gitedit", "glibc", "hfhub", "netprobe"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"devdoctor.{name}")
    raise AttributeError(f"module 'devdoctor.api' has no attribute {name!r}")


__all__ = [
    "Applicability",
    "Context",
    "Diagnostic",
    "EnvChange",
    "EnvOp",
    "FileEdit",
    "Fix",
    "PackageEdit",
    "ProcessInfo",
    "Rule",
    "Scope",
    "Signature",
    "Status",
    "TargetError",
    "gitedit",
    "glibc",
    "hfhub",
    "netprobe",
]
