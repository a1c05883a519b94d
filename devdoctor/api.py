"""The rule-author API: everything a rule module may import from devdoctor."""

from devdoctor import gitedit, glibc, hfhub, netprobe
from devdoctor.context import Context, ProcessInfo
from devdoctor.fix import Applicability, EnvChange, EnvOp, FileEdit, Fix, PackageEdit
from devdoctor.rule import Diagnostic, Rule, Scope, Signature, Status
from devdoctor.target import TargetError

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
