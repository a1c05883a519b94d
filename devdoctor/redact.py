"""Scrub secrets from everything devdoctor prints or logs. The one place this happens."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL", re.IGNORECASE)
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words and numbers

# A Hugging Face user (hf_) or organisation (api_org_) token: 34 letters or digits after the
# prefix. One definition for the redactor and the rule that finds tokens in staged files.
HF_TOKEN_PATTERN = r"(?<![A-Za-z0-9_])(?:hf_|api_org_)[A-Za-z0-9]{34}(?![A-Za-z0-9])"
_PATTERNS = (re.compile(HF_TOKEN_PATTERN),)
# user:password@ in any URL-like text; the user name stays, the password goes.
_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@")
# NAME=value where NAME is an environment-style name that looks secret (logs, rc files, dumps).
_ASSIGNMENT = re.compile(
    r"(?P<name>\b[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|KEY)[A-Z0-9_]*[\"']?\s*[=:]\s*[\"']?)"
    rf"(?P<value>[^\s\"',;]{{{MIN_SECRET_LEN},}})"
)


class Redactor:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        values = {v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LEN}
        # Longest first so a secret that contains another is masked whole.
        self._literals = sorted(values, key=len, reverse=True)

    def text(self, text: str) -> str:
        for literal in self._literals:
            if literal in text:
                text = text.replace(literal, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(MASK, text)
        text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        return _ASSIGNMENT.sub(lambda m: m["name"] + MASK, text)

    def data(self, value: Any) -> Any:
        """Scrub every string in a JSON-like structure (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                self.text(str(k)): MASK
                if SECRET_NAME.search(str(k)) and isinstance(v, str) and v
                else self.data(v)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value
