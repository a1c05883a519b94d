"""The examined Python environment: the user's, never devdoctor's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devdoctor.errors import UsageError

PROBE_TIMEOUT = 15.0

# Runs inside the target interpreter: stdlib only, and valid on old Pythons (3.7+).
# `-c` puts the cwd first on sys.path; drop it so a user's json.py cannot shadow ours.
# Distributions are read from each metadata folder's header lines, the first on sys.path
# winning as in importlib.metadata: its email parser costs ~0.5 ms a distribution.
_PROBE = r"""
import sys
del sys.path[0]
import json, os, site

def header(path):
    found = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key in ("Name", "Version") and key not in found:
                    found[key] = value.strip()
    except OSError:
        pass
    return found

dists, seen = [], set()
for folder in sys.path:
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        continue
    for name in names:
        if name.endswith(".dist-info"):
            meta = header(os.path.join(folder, name, "METADATA"))
        elif name.endswith(".egg-info"):
            path = os.path.join(folder, name)
            meta = header(os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path)
        else:
            continue
        key = "-".join(meta.get("Name", "").replace("_", "-").replace(".", "-").lower().split("-"))
        if key and key not in seen:
            seen.add(key)
            dists.append({"name": meta["Name"], "version": meta.get("Version", "")})
try:
    paths = list(site.getsitepackages())
except AttributeError:
    paths = []
user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
if user and os.path.isdir(user):
    paths.append(user)
try:
    libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
except (AttributeError, ValueError, OSError):
    libc = ""
loader = None  # the dynamic loader this interpreter really runs under
try:
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split(None, 5)[-1].strip()
            if os.path.basename(path).startswith("ld-") and ".so" in path:
                loader = path
                break
except OSError:
    pass
json.dump({
    "executable": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "implementation": {"cpython": "CPython", "pypy": "PyPy"}.get(
        sys.implementation.name, sys.implementation.name),
    "platform": sys.platform,
    "machine": os.uname().machine if hasattr(os, "uname") else "",
    "glibc": libc.split()[1] if libc.startswith("glibc ") else None,
    "ld_so": loader,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "site_packages": [p for p in paths if os.path.isdir(p)],
    "is_venv": getattr(sys, "base_prefix", sys.prefix) != sys.prefix,
    "is_conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
    "distributions": sorted(dists, key=lambda d: d["name"].lower()),
    "sys_path": [p for p in sys.path if p],
    "user_site": site.getusersitepackages() if hasattr(site, "getusersitepackages") else None,
    "enable_user_site": bool(site.ENABLE_USER_SITE),
    "paths": {k: v for k, v in __import__("sysconfig").get_paths().items()
              if k in ("include", "stdlib", "scripts")},
}, sys.stdout)
"""


@dataclass(frozen=True)
class Location:
    """Where the target is, found without starting it."""

    python: str | None
    prefix: Path | None
    kind: str  # venv | conda | system
    source: str  # how it was chosen: --python, VIRTUAL_ENV, CONDA_PREFIX, PATH

    def as_dict(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "prefix": str(self.prefix) if self.prefix else None,
            "kind": self.kind,
            "source": self.source,
        }


def _kind_of(prefix: Path) -> str:
    if (prefix / "pyvenv.cfg").is_file():
        return "venv"
    if (prefix / "conda-meta").is_dir():
        return "conda"
    return "system"


def _python_in(prefix: Path) -> str | None:
    for name in ("bin/python", "bin/python3", "python.exe", "Scripts/python.exe"):
        if (prefix / name).exists():
            return str(prefix / name)
    return None


def owner_python(path: str) -> str | None:
    """The interpreter of the environment a file belongs to: one inside
    `<prefix>/lib/pythonX.Y/site-packages` is that prefix's."""
    parts = Path(path).parts
    for i in range(len(parts) - 1, 2, -1):
        if parts[i] == "site-packages" and parts[i - 2] in ("lib", "lib64"):
            return _python_in(Path(*parts[: i - 2]))
    return None


def _own(prefix: Path) -> bool:
    """Whether this is the environment devdoctor itself runs from (pipx, a tool venv)."""
    return os.path.realpath(prefix) == os.path.realpath(sys.prefix)


def _named(python: str, env: Mapping[str, str]) -> Location:
    """--python: an interpreter (by path or on PATH), or an environment's folder."""
    found = shutil.which(python, path=env.get("PATH")) if os.sep not in python else python
    if found and os.path.isdir(found):
        found = _python_in(Path(found))
    if found and os.path.islink(found) and not os.path.exists(found):
        prefix = Path(os.path.abspath(found)).parent.parent
        if (prefix / "pyvenv.cfg").is_file():  # a venv whose base is gone: DD504 explains it
            return Location(os.path.abspath(found), prefix, "venv", "--python")
    if not found or not os.access(found, os.X_OK) or os.path.isdir(found):
        raise UsageError(f"--python {python}: no such interpreter")
    names = {os.path.basename(found), os.path.basename(os.path.realpath(found))}
    if not any(n.startswith(("python", "pypy")) for n in names):
        raise UsageError(f"--python {python}: {found} is not a Python interpreter")
    # Not resolved: a venv's bin/python is a symlink to the base interpreter.
    prefix = Path(os.path.abspath(found)).parent.parent
    kind = _kind_of(prefix)
    return Location(os.path.abspath(found), prefix if kind != "system" else None, kind, "--python")


def locate(python: str | None, env: Mapping[str, str]) -> Location:
    """The environment to examine: --python, else $VIRTUAL_ENV, $CONDA_PREFIX, python3 or python
    on PATH — skipping devdoctor's own environment, which is never examined unless named."""
    if python:
        return _named(python, env)
    skipped = []
    for var, kind in (("VIRTUAL_ENV", "venv"), ("CONDA_PREFIX", "conda")):
        if env.get(var):
            prefix = Path(env[var])
            if _own(prefix):
                skipped.append(f"${var}")
                continue
            if not prefix.is_dir():
                raise UsageError(f"${var} names {prefix}, which is gone (a stale activation?)")
            return Location(_python_in(prefix), prefix, kind, var)
    for name in ("python3", "python"):
        for folder in (env.get("PATH") or os.defpath).split(os.pathsep):
            found = shutil.which(name, path=folder) if folder else None
            if not found:
                continue
            prefix = Path(found).parent.parent
            if _own(prefix):
                skipped.append(found)
                continue
            kind = _kind_of(prefix)
            return Location(found, prefix if kind != "system" else None, kind, "PATH")
    if skipped:
        raise UsageError(
            f"the only Python found ({skipped[0]}) is devdoctor's own environment: name the "
            "one to examine with --python PATH"
        )
    return Location(None, None, "system", "PATH")


class TargetError(Exception):
    """The target interpreter could not be asked about itself."""


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str

    @property
    def key(self) -> str:
        """The normalised project name (PEP 503), for lookups."""
        return canonical_name(self.name)


def canonical_name(name: str) -> str:
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


@dataclass(frozen=True)
class TargetFacts:
    """What the target interpreter says about itself (one child process per run)."""

    executable: str
    version: str
    implementation: str
    platform: str  # sys.platform
    machine: str  # platform.machine()
    glibc: str | None
    ld_so: str | None  # the dynamic loader's file, as /proc/self/maps names it
    prefix: str
    base_prefix: str
    site_packages: tuple[str, ...]
    is_venv: bool
    is_conda: bool
    distributions: tuple[Distribution, ...]
    sys_path: tuple[str, ...] = ()  # in order, without the script's folder
    user_site: str | None = None  # whether it exists or not
    enable_user_site: bool = False  # as the interpreter decides it, environment aside (-E)
    paths: Mapping[str, str] = field(default_factory=dict)  # sysconfig: include, stdlib, scripts

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetFacts:
        return cls(
            executable=str(data.get("executable", "")),
            version=str(data.get("version", "")),
            implementation=str(data.get("implementation", "")),
            platform=str(data.get("platform", "")),
            machine=str(data.get("machine", "")),
            glibc=data.get("glibc") or None,
            ld_so=data.get("ld_so") or None,
            prefix=str(data.get("prefix", "")),
            base_prefix=str(data.get("base_prefix", "")),
            site_packages=tuple(data.get("site_packages") or ()),
            is_venv=bool(data.get("is_venv")),
            is_conda=bool(data.get("is_conda")),
            distributions=tuple(
                Distribution(str(d["name"]), str(d["version"]))
                for d in data.get("distributions") or ()
            ),
            sys_path=tuple(str(p) for p in data.get("sys_path") or ()),
            user_site=data.get("user_site") or None,
            enable_user_site=bool(data.get("enable_user_site")),
            paths={str(k): str(v) for k, v in (data.get("paths") or {}).items()},
        )

    def version_of(self, name: str) -> str | None:
        """The installed version of a distribution, by any spelling of its name."""
        key = canonical_name(name)
        return next((d.version for d in self.distributions if d.key == key), None)

    def summary(self) -> dict[str, Any]:
        """What reports show about the target."""
        return {
            "version": self.version,
            "implementation": self.implementation,
            "platform": self.platform,
            "machine": self.machine,
            "glibc": self.glibc,
            "prefix": self.prefix,
            "site_packages": list(self.site_packages),
            "is_venv": self.is_venv,
            "is_conda": self.is_conda,
            "distributions": len(self.distributions),
            # the versions that most often differ between nodes of one cluster (fleet --drift)
            "packages": {
                name: version
                for name in DRIFT_PACKAGES
                if (version := self.version_of(name)) is not None
            },
        }


DRIFT_PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "transformers",
    "huggingface-hub",
    "datasets",
    "accelerate",
    "triton",
    "nvidia-nccl-cu12",
    "nvidia-cudnn-cu12",
    "flash-attn",
    "xformers",
    "devdoctor",
)


def probe_json(python: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Ask the target interpreter about itself, in one child process: the raw answer."""
    try:
        proc = subprocess.run(
            [python, "-E", "-c", _PROBE],
            env=dict(env),
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"{python}: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise TargetError(f"{python} exited with {proc.returncode}: {last}")
    try:
        answer = json.loads(proc.stdout)
        TargetFacts.from_json(answer)  # it must read as facts before anyone keeps it
    except (ValueError, TypeError, KeyError, AttributeError):
        raise TargetError(f"{python} did not answer the probe") from None
    if not isinstance(answer, dict):
        raise TargetError(f"{python} did not answer the probe")
    return answer


def probe(python: str, env: Mapping[str, str]) -> TargetFacts:
    return TargetFacts.from_json(probe_json(python, env))
