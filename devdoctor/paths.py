"""Where devdoctor keeps its own state (journal, lock, crash log), its caches, and the user
config. On Linux these are the XDG base directories, read directly (platformdirs, with its
imports, costs ~3.5 ms of every run); elsewhere platformdirs knows the conventions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "devdoctor"
_XDG_DEFAULTS = {
    "XDG_STATE_HOME": ".local/state",
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
}


def _xdg(variable: str) -> Path:
    value = os.environ.get(variable, "")
    if os.path.isabs(value):  # the spec: a relative value is invalid and ignored
        return Path(value) / APP
    return Path.home() / _XDG_DEFAULTS[variable] / APP


def _platform_dir(kind: str, variable: str) -> Path:
    if sys.platform.startswith("linux"):
        return _xdg(variable)
    import platformdirs

    finder = getattr(platformdirs, f"user_{kind}_dir")
    return Path(finder(APP, appauthor=False))


def state_dir() -> Path:
    override = os.environ.get("DEVDOCTOR_STATE_DIR")
    if override:
        return Path(override)
    return _platform_dir("state", "XDG_STATE_HOME")


def user_config_file() -> Path:
    override = os.environ.get("DEVDOCTOR_CONFIG")
    if override:
        return Path(override)
    return _platform_dir("config", "XDG_CONFIG_HOME") / "config.toml"


def cache_dir() -> Path:
    return _platform_dir("cache", "XDG_CACHE_HOME")


def log_file() -> Path:
    return state_dir() / "devdoctor.log"
