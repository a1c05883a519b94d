"""Where huggingface_hub keeps its token and caches for the *examined* environment: the same
resolution as `huggingface_hub.constants` (HF_HOME, XDG_CACHE_HOME, HF_TOKEN_PATH, HF_HUB_CACHE,
HF_DATASETS_CACHE), applied to that environment's variables rather than devdoctor's own. A test
holds it against the library's constants computed in a child with the same variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _expand(value: str, home: str) -> str:
    return os.path.expandvars(value.replace("~", home, 1) if value.startswith("~") else value)


def hf_home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", os.path.expanduser("~"))
    cache = env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return Path(_expand(env.get("HF_HOME") or os.path.join(cache, "huggingface"), home))


def token_path(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", os.path.expanduser("~"))
    if env.get("HF_TOKEN_PATH"):
        return Path(_expand(env["HF_TOKEN_PATH"], home))
    return hf_home(env) / "token"


def hub_cache(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", os.path.expanduser("~"))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(name):
            return Path(_expand(env[name], home))
    return hf_home(env) / "hub"


def datasets_cache(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", os.path.expanduser("~"))
    if env.get("HF_DATASETS_CACHE"):
        return Path(_expand(env["HF_DATASETS_CACHE"], home))
    return hf_home(env) / "datasets"


def offline(env: Mapping[str, str]) -> bool:
    return any(
        env.get(v, "").upper() in ("1", "ON", "YES", "TRUE")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
    )
