"""Where devdoctor keeps its own state (journal, lock, crash log) and reads user config."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    override = os.environ.get("DEVDOCTOR_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("devdoctor", appauthor=False))


def user_config_file() -> Path:
    override = os.environ.get("DEVDOCTOR_CONFIG")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("devdoctor", appauthor=False)) / "config.toml"


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("devdoctor", appauthor=False))


def log_file() -> Path:
    return state_dir() / "devdoctor.log"
