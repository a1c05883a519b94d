"""Package edits beyond a version change: replace one distribution by another that installs
the same modules (opencv-python by opencv-python-headless: both cannot stay, since each
overwrites the other's files), add one that was missing, remove one. Each is undone exactly."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from typing import Any, ClassVar

from devdoctor.core.fix import EditFailed
from devdoctor.fixes.edits import DISTRIBUTION, VERSION, PackageEdit, journal_field, journal_path


@dataclass(frozen=True)
class PackageSwap:
    kind: ClassVar[str] = "package-swap"
    python: str
    remove: str
    remove_version: str
    install: str
    install_version: str

    def _pip(self, *args: str) -> list[str]:
        return [self.python, "-m", "pip", *args]

    def commands(self) -> list[list[str]]:
        return [
            self._pip("uninstall", "-y", self.remove),
            self._pip("install", f"{self.install}=={self.install_version}"),
        ]

    def describe(self) -> str:
        return "run " + " && ".join(shlex.join(c) for c in self.commands())

    def preview(self) -> str:
        return (
            f"{self.remove} {self.remove_version} -> (removed)\n"
            f"{self.install} (absent) -> {self.install_version}\n"
        )

    def _installed(self, name: str) -> str | None:
        return PackageEdit(self.python, name, None, None).installed()

    def conflict(self) -> str | None:
        now = self._installed(self.remove)
        if now != self.remove_version:
            return f"{self.remove} is {now or 'not installed'} now, not {self.remove_version}"
        if self._installed(self.install):
            return f"{self.install} is installed already"
        return None

    def apply(self) -> None:
        removed = False
        for command in self.commands():
            proc = subprocess.run(
                command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
            )
            if proc.returncode != 0:
                if removed:  # put back what was there before failing
                    subprocess.run(
                        self._pip("install", f"{self.remove}=={self.remove_version}"),
                        capture_output=True,
                        check=False,
                        stdin=subprocess.DEVNULL,
                    )
                last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
                raise EditFailed(f"{shlex.join(command)}: {last}")
            removed = True

    def inverse(self) -> PackageSwap:
        return PackageSwap(
            self.python, self.install, self.install_version, self.remove, self.remove_version
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "python": self.python,
            "remove": self.remove,
            "remove_version": self.remove_version,
            "install": self.install,
            "install_version": self.install_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageSwap:
        python = journal_path(data["python"], "interpreter")
        if not python.name.startswith("python"):
            raise ValueError(f"journal entry: {python} is not a Python interpreter")
        return cls(
            str(python),
            journal_field(data["remove"], DISTRIBUTION, "distribution"),
            journal_field(data["remove_version"], VERSION, "version"),
            journal_field(data["install"], DISTRIBUTION, "distribution"),
            journal_field(data["install_version"], VERSION, "version"),
        )


@dataclass(frozen=True)
class PackageAdd:
    """Install a distribution that is not installed (`spec`: a range such as `<4,>=2`); undone
    by uninstalling exactly what it installed."""

    kind: ClassVar[str] = "package-add"
    python: str
    name: str
    spec: str = ""
    installed: str | None = None  # what the install gave, for the journal

    def command(self) -> list[str]:
        return [self.python, "-m", "pip", "install", f"{self.name}{self.spec}"]

    def describe(self) -> str:
        return "run " + shlex.join(self.command())

    def preview(self) -> str:
        return f"{self.name}: (absent) -> the newest {self.spec or 'release'}\n"

    def conflict(self) -> str | None:
        now = PackageEdit(self.python, self.name, None, None).installed()
        return f"{self.name} {now} is installed now" if now else None

    def apply(self) -> PackageAdd:
        _pip(self.command())
        got = PackageEdit(self.python, self.name, None, None).installed()
        return PackageAdd(self.python, self.name, self.spec, got)

    def inverse(self) -> PackageRemove:
        return PackageRemove(self.python, self.name, self.installed or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "python": self.python,
            "name": self.name,
            "spec": self.spec,
            "installed": self.installed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageAdd:
        python = _interpreter(data["python"])
        installed = data.get("installed")
        return cls(
            python,
            journal_field(data["name"], DISTRIBUTION, "distribution"),
            journal_field(data.get("spec") or "==0", r"[<>=!~,.\w*+ -]{1,128}", "range")
            if data.get("spec")
            else "",
            None if installed is None else journal_field(installed, VERSION, "version"),
        )


@dataclass(frozen=True)
class PackageRemove:
    """Uninstall one version of a distribution; undone by installing that version again."""

    kind: ClassVar[str] = "package-remove"
    python: str
    name: str
    version: str

    def command(self) -> list[str]:
        return [self.python, "-m", "pip", "uninstall", "-y", self.name]

    def describe(self) -> str:
        return "run " + shlex.join(self.command())

    def preview(self) -> str:
        return f"{self.name}: {self.version} -> (removed)\n"

    def conflict(self) -> str | None:
        now = PackageEdit(self.python, self.name, None, None).installed()
        return None if now == self.version else f"{self.name} is {now or 'absent'} now"

    def apply(self) -> None:
        _pip(self.command())

    def inverse(self) -> PackageAdd:
        return PackageAdd(self.python, self.name, f"=={self.version}", self.version)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "python": self.python,
            "name": self.name,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageRemove:
        return cls(
            _interpreter(data["python"]),
            journal_field(data["name"], DISTRIBUTION, "distribution"),
            journal_field(data["version"], VERSION, "version"),
        )


def _pip(command: list[str]) -> None:
    proc = subprocess.run(
        command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise EditFailed(f"{shlex.join(command)}: {last}")


def _interpreter(value: Any) -> str:
    python = journal_path(value, "interpreter")
    if not python.name.startswith("python"):
        raise ValueError(f"journal entry: {python} is not a Python interpreter")
    return str(python)
