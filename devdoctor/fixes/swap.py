"""Replace one distribution by another that installs the same modules (opencv-python by
opencv-python-headless): both cannot stay, since each overwrites the other's files. Undone by
the swap back, to the exact versions."""

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
