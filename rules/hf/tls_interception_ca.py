"""A TLS-intercepting proxy whose CA the examined Python does not trust (certifi against the
system bundle).

## What it does

Opens one TLS connection to the hub endpoint in use, trusting what the examined Python's HTTP
clients trust (`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, else the certifi bundle in its
site-packages). When that fails because the issuer is unknown (a self-signed CA in the chain, an
unknown local issuer — what corporate proxies and antivirus products that inspect TLS present),
it tries the same connection trusting the system bundle, where IT installs the proxy's CA. A
certificate for another name is not this (an unreachable hub, DD201). Online only.

## Why is this bad?

`SSLError: ... [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed
certificate in certificate chain` or `unable to get local issuer certificate` on every download,
while browsers (which use the system store) work.

## Example

```
$ devdoctor check tls-interception-ca
  ✗ DD209 tls-interception-ca: https://huggingface.co is answered with a certificate from a CA
    certifi does not hold (self-signed certificate in certificate chain); the system bundle
    /etc/ssl/certs/ca-certificates.crt trusts it
```

## Fix

Point `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` for the environment at the bundle that trusts the
proxy's CA; a new process of the examined interpreter must then complete the TLS handshake.
Verification is never turned off. No bundle trusts it: display-only (ask IT for the proxy's CA,
add it to a bundle, point the variables at it).

## Fix safety

Safe: two variables for the environment; `devdoctor undo` removes them.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Signature,
    Status,
    TargetError,
    effective_env,
    run_script,
    setting,
)

from ._hub import effective

if TYPE_CHECKING:
    import ssl

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
UNKNOWN_ISSUER = (18, 19, 20, 21)  # self-signed, self-signed in chain, local issuer unknown
HANDSHAKE = r"""
import socket, ssl, sys
context = ssl.create_default_context()
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
    with context.wrap_socket(s, server_hostname=sys.argv[1]):
        pass
"""


@dataclass(frozen=True)
class Settings:
    system_bundle: str = setting(
        "", "the system's CA bundle (empty: the distribution's usual file)"
    )
    timeout: float = setting(5.0, "seconds the TLS handshake may take")


def python_bundle(ctx: Context, env: Mapping[str, str]) -> str | None:
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        if env.get(name):
            return env[name]
    try:
        for site in ctx.target().site_packages:
            bundle = os.path.join(site, "certifi", "cacert.pem")
            if os.path.isfile(bundle):
                return bundle
    except TargetError:
        pass
    return None


def handshake(host: str, port: int, cafile: str | None, timeout: float) -> ssl.SSLError | None:
    """None when the server's certificate verifies against `cafile`; the error otherwise."""
    import socket  # only when the check goes online
    import ssl

    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return None
    except ssl.SSLError as exc:
        return exc
    except OSError:
        return None  # not reachable at all: another rule's problem


def _fix(ctx: Context, bundle: str, host: str, port: int) -> Fix:
    python = ctx.location.python or "python3"

    def verify(env: Mapping[str, str]) -> str | None:
        return run_script(python, HANDSHAKE, (host, str(port)), env, 30.0)

    return Fix(
        f"Trust {bundle} (SSL_CERT_FILE, REQUESTS_CA_BUNDLE)",
        Applicability.SAFE,
        env=(EnvChange("SSL_CERT_FILE", bundle), EnvChange("REQUESTS_CA_BUNDLE", bundle)),
        verify=verify,
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    env = effective_env(ctx)
    url = urllib.parse.urlsplit(effective(env))
    if url.scheme != "https" or not url.hostname:
        yield Diagnostic(Status.PASS, "the endpoint is not HTTPS")
        return
    host, port = url.hostname, url.port or 443
    mine = python_bundle(ctx, env)
    error = handshake(host, port, mine, settings.timeout)
    code = getattr(error, "verify_code", None)
    if error is None or code not in UNKNOWN_ISSUER:
        yield Diagnostic(
            Status.PASS, f"{url.geturl()}'s certificate verifies with {mine or 'the defaults'}"
        )
        return
    reason = getattr(error, "verify_message", str(error))
    system = settings.system_bundle or next((b for b in SYSTEM_BUNDLES if os.path.isfile(b)), "")
    trusted = (
        bool(system) and system != mine and handshake(host, port, system, settings.timeout) is None
    )
    facts = {"endpoint": url.geturl(), "bundle": mine, "reason": reason, "system_bundle": system}
    if trusted:
        fix = _fix(ctx, system, host, port)
        tail = f"; the system bundle {system} trusts it"
    else:
        fix = Fix(
            "Trust the proxy's CA",
            Applicability.DISPLAY_ONLY,
            instructions="ask IT for the proxy's CA certificate, append it to a copy of "
            "your bundle, and point SSL_CERT_FILE and REQUESTS_CA_BUNDLE at that file "
            "(never turn verification off)",
        )
        tail = "; no bundle here trusts it"
    yield Diagnostic(
        Status.FAIL,
        f"{url.geturl()} is answered with a certificate from a CA that {mine or 'Python'} does "
        f"not hold ({reason}){tail}",
        facts,
        (fix,),
        key=url.geturl(),
    )


RULE = Rule(
    code="DD209",
    name="tls-interception-ca",
    summary="A TLS-intercepting proxy whose CA the examined Python does not trust",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    network=True,
    signatures=(
        Signature(
            ("signed certificate in certificate chain", "unable to get local issuer certificate"),
            r"(?:(?<=self-)|(?<=self ))signed certificate in certificate chain|"
            r"unable to get local issuer certificate",
            "a certificate from a CA this Python does not trust (a TLS-intercepting proxy?)",
        ),
    ),
    settings=Settings,
)
