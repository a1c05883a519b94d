"""Make text from anywhere safe to print and to keep: secrets scrubbed, control characters and
terminal escapes removed. The one place this happens; every output and every file devdoctor
writes goes through it.

Every pattern is bounded, so scrubbing stays linear however long and hostile the text (a
server's 64 KB status line, a log of one long line)."""

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
HF_TOKEN_PATTERN = r"(?<![A-Za-z0-9])(?:hf_|api_org_)[A-Za-z0-9]{34}(?![A-Za-z0-9])"
_HF_TOKEN = re.compile(HF_TOKEN_PATTERN)
# user:password@host in URLs and without a scheme (curl and requests accept `user:pw@host:port`
# as a proxy); the password may hold `/`, `:` or `@` up to the last `@` before the host.
_USERINFO = re.compile(
    r"(?P<head>(?<![\w.@:/+-])(?:[A-Za-z][A-Za-z0-9+.-]{0,31}://)?[\w.~%!$&'()*+,;=-]{1,256}):"
    r"(?!//)[^\s@]{1,256}(?:@[^\s@/:]{1,256}(?=@))*@(?=[\w.-]{1,256}(?::\d{1,5})?(?:[/\s?#\"']|$))"
)
# A token as the URL's user: https://hf_xxx@host (the token check above catches hf_ ones).
_URL_TOKEN_USER = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31}://)[^\s:@/]{20,256}@")
# ?password=..., &token=..., api_key=... in query strings and form bodies.
_QUERY = re.compile(
    r"(?P<name>[?&;](?:[\w-]{0,32}(?:token|password|passwd|secret|key|auth)[\w-]{0,32})=)"
    r"[^&\s#\"']{1,2048}",
    re.IGNORECASE,
)
# Authorization: Bearer x, X-Api-Key: x, Cookie: x (headers in a verbose log or a dump).
_HEADER = re.compile(
    r"(?P<name>\b(?:authorization|proxy-authorization|x-api-key|api-key|x-auth-token|cookie)"
    r"\s{0,8}:\s{0,8})[^\r\n]{1,4096}",
    re.IGNORECASE,
)
# NAME=value where NAME is an environment-style name that looks secret (logs, rc files, dumps).
_ASSIGNMENT = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_])[A-Z0-9_]{0,64}(?:TOKEN|SECRET|PASSWORD|PASSWD|KEY)[A-Z0-9_]{0,64}"
    r"[\"']?\s{0,8}[=:]\s{0,8}[\"']?)"
    rf"(?P<value>[^\s\"',;]{{{MIN_SECRET_LEN},4096}})"
)
# Terminal control: escape sequences (CSI, OSC, DCS, ...) and every C0/C1 control character but
# newline and tab; also the bidirectional overrides that make text read other than it runs.
_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]{0,64}[ -/]{0,8}[@-~]"  # CSI: cursor, colours, clear screen
    r"|[\]P^_X][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"  # OSC, DCS, PM, APC, SOS: titles, clipboard
    r"|[ -/]{1,8}[0-~]"  # nF: ESC # 8 and kin
    r"|[0-~])?"
    r"|\x9b[0-?]{0,64}[ -/]{0,8}[@-~]"  # the same as 8-bit C1 codes
    r"|[\x90\x9d-\x9f][^\x07\x1b\x9c]{0,4096}(?:\x07|\x9c|\x1b\\)?"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Text as it may reach a terminal: no escape sequences, no control characters, and no
    undecodable bytes (a file name that is not UTF-8 is shown with U+FFFD in their place)."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", _ESCAPE.sub("", text))


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
        text = _HF_TOKEN.sub(MASK, text)
        text = _URL_TOKEN_USER.sub(lambda m: f"{m['scheme']}{MASK}@", text)
        text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
        text = _QUERY.sub(lambda m: m["name"] + MASK, text)
        text = _HEADER.sub(lambda m: m["name"] + MASK, text)
        text = _ASSIGNMENT.sub(lambda m: m["name"] + MASK, text)
        return strip_controls(text)

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
