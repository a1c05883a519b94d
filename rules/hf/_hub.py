"""Facts about Hugging Face Hub endpoints shared by the DD2xx rules.

huggingface_hub reads HF_ENDPOINT once, at import: `os.getenv("HF_ENDPOINT",
"https://huggingface.co").rstrip("/")`. A probe of `HEAD {endpoint}/{repo}/resolve/main/
config.json` is exactly the first request hf_hub_download makes; a Hub answers it with
`X-Repo-Commit` and `ETag`/`X-Linked-Etag` (otherwise the client raises FileMetadataError).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from huggingface_hub import constants as hf_constants

if TYPE_CHECKING:
    from ._netprobe import Probe

OFFICIAL: str = hf_constants._HF_DEFAULT_ENDPOINT  # what huggingface_hub falls back to
MIRROR = "https://hf-mirror.com"
PYPI = "https://pypi.org/simple/"

# Failures that look like a block of the hub in particular (and a mirror may get around).
BLOCKING = {
    "DNS_BLOCKED",
    "TCP_TIMEOUT",
    "TCP_REFUSED",
    "TLS_RESET",
    "TLS_TIMEOUT",
    "NO_ANSWER",
    "HTTP_BLOCKED",
    "HTTP_BLOCKED_LEGAL",
    "NO_ROUTE",
}
# The hub is reachable but unhappy: waiting helps, switching endpoints does not.
TRANSIENT = {"RATE_LIMITED", "UPSTREAM_DOWN"}
# Full-width colon, solidus, full stop and space, as typed with a Chinese input method.
FULLWIDTH = str.maketrans({"\uff1a": ":", "\uff0f": "/", "\uff0e": ".", "\u3000": " "})


def effective(env: Mapping[str, str], default: str = OFFICIAL) -> str:
    """The endpoint huggingface_hub will use in a process with this environment."""
    return env.get("HF_ENDPOINT", default).rstrip("/")


def resolve_url(endpoint: str, repo: str, filename: str = "config.json") -> str:
    return f"{endpoint.rstrip('/')}/{repo}/resolve/main/{filename}"


def problems(value: str) -> list[str]:
    """What is wrong with an HF_ENDPOINT value, in words; empty when it is fine."""
    found = []
    if value != value.strip():
        found.append("surrounding whitespace")
    if any(q in value for q in "\"'`"):
        found.append("quotes in the value")
    if any(ord(ch) > 127 for ch in value):
        found.append("non-ASCII characters (e.g. a full-width colon \uff1a)")
    stripped = value.strip().strip("\"'`").translate(FULLWIDTH)
    parts = urlsplit(stripped)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        found.append("no http:// or https:// scheme")
    elif parts.query or parts.fragment or re.search(r"[\s;,]", stripped):
        found.append("trailing junk after the URL")
    return found


HOST = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}|localhost|\d{1,3}(?:\.\d{1,3}){3}")


def corrected(value: str) -> str | None:
    """The URL a user most likely meant, or None when no value can be said to be it (then the
    fix only explains: a "safe" fix must not write another malformed URL)."""
    text = value.strip().strip("\"'`").translate(FULLWIDTH).strip()
    text = re.split(r"[\s;,]", text, maxsplit=1)[0]
    scheme = re.match(r"(?i)(https?)[:/]+", text)  # https//x, https:/x, https:x, HTTPS://x
    if scheme:
        text = f"{scheme[1].lower()}://{text[scheme.end() :]}"
    elif "://" not in text:
        text = "https://" + text.lstrip(":/")
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not HOST.fullmatch(host) or "@" in parts.netloc:
        return None
    netloc = host + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def classify(result: Probe) -> str:
    """Turn a probe's answer into a hub verdict (OK, MIRROR, CAPTIVE_PORTAL, HTTP_BLOCKED, ...)."""
    if not result.answered:
        return result.classification
    headers, status = result.headers, result.status or 0
    committed = any("x-repo-commit" in hop["headers"] for hop in result.hops)  # type: ignore[operator]
    if committed and ("etag" in headers or "x-linked-etag" in headers):
        return "MIRROR" if headers.get("server", "").lower().startswith("hf-mirror") else "OK"
    if status == 429:
        return "RATE_LIMITED"
    if status >= 500:
        return "UPSTREAM_DOWN"
    if status == 451:
        return "HTTP_BLOCKED_LEGAL"
    if "x-error-code" in headers:
        return "HUB_ERROR"  # the hub answered (RepoNotFound, GatedRepo, ...): it is reachable
    if status in (401, 403, 407):
        return "HTTP_BLOCKED"
    return "CAPTIVE_PORTAL" if "text/html" in headers.get("content-type", "") else "NOT_A_HUB"


def reachable(classification: str) -> bool:
    return classification in ("OK", "MIRROR", "HUB_ERROR")


def pip_index(env: Mapping[str, str]) -> str:
    """The index pip uses (PIP_INDEX_URL, then pip.conf files), for telling 'no network' apart."""
    if env.get("PIP_INDEX_URL", "").startswith("http"):
        return env["PIP_INDEX_URL"]
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    candidates = [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        config / "pip" / "pip.conf",
        Path(env.get("PIP_CONFIG_FILE", "/nonexistent")),
    ]
    import configparser  # only DD201 reads pip's config

    index = PYPI
    for path in candidates:
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue
        value = parser.get("global", "index-url", fallback="")
        if value.startswith("http"):
            index = value
    return index
