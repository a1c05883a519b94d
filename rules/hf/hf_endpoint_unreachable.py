"""The Hugging Face Hub endpoint does not answer, and a mirror (or the official hub) does.

## What it does

Probes, with short timeouts, the endpoint huggingface_hub will use (`HF_ENDPOINT`, else the
setting `official_endpoint`). Only when it fails does it probe, in parallel, every mirror in the
setting `mirrors` (default `https://hf-mirror.com`), the official hub when the endpoint is a
mirror, and a control URL (default: the pip index) that tells "the hub is blocked" from "the
network is down": a healthy check never contacts a third party. With `HF_HUB_OFFLINE=1` (or
`TRANSFORMERS_OFFLINE=1`) or `--offline` it probes nothing and skips. Each
probe goes DNS → TCP → (proxy CONNECT) → TLS → `HEAD {endpoint}/{probe_repo}/resolve/main/
config.json`, with no token and no Referer, following same-origin redirects only; it passes when
the answer carries `X-Repo-Commit` and an `ETag`/`X-Linked-Etag`. Every failure is classified:
DNS_BLOCKED / DNS_DOWN / DNS_TIMEOUT, TCP_REFUSED / TCP_TIMEOUT / NO_ROUTE, TLS_MITM /
TLS_RESET / TLS_TIMEOUT, NO_ANSWER, CAPTIVE_PORTAL / NOT_A_HUB, HTTP_BLOCKED(_LEGAL),
RATE_LIMITED, UPSTREAM_DOWN, PROXY_BROKEN, PROXY_SOCKS_DEP. The whole rule ends within
`total_timeout` (8 s) even when every target accepts connections and never answers.

## Why is this bad?

From mainland China, many corporate networks and air-gapped clusters huggingface.co is
blocked. huggingface_hub then fails only after ~23 s of retries (DNS failure, refused), ~390 s
(dropped packets) or never returns (`HfApi` calls have no timeout since 1.5), with
`LocalEntryNotFoundError` or transformers' `We couldn't connect to 'https://huggingface.co'`.

## Example

```
$ devdoctor check hf-endpoint-unreachable
  ✗ DD201 hf-endpoint-unreachable: https://huggingface.co is unreachable (TCP_TIMEOUT: connect
    timed out after 3 s); the mirror https://hf-mirror.com answers
```

## Fix

Persist `HF_ENDPOINT=<the mirror that answered>` for the examined environment (`--target`), plus
`HF_HUB_DISABLE_XET=1` when hf_xet is installed there: Xet transfers go to
`cas-server.xethub.hf.co` / `cas-bridge.xethub.hf.co`, hosts the mirror does not cover. When
HF_ENDPOINT names a mirror that fails while the official hub answers, the fix unsets it. The
variable must be in the process environment before huggingface_hub is imported (it is read once,
at import): a new shell or a re-activated environment. The fix is verified by a real
`hf_hub_download` of the probe file in a child of the target interpreter with the persisted
environment. It never recommends a mirror when the control URL fails too (no network), nor on
rate limits and outages (wait instead), nor for a TLS-intercepting proxy (fix its CA instead).

A mirror is a third party: with a token configured, huggingface_hub sends it to the mirror too
(`HF_HUB_DISABLE_IMPLICIT_TOKEN=1` stops that for reads).

## Fix safety

Safe: only devdoctor's marked blocks change, and `devdoctor undo` restores them byte for byte.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    EnvChange,
    EnvOp,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
    TargetError,
    setting,
)

from . import _hub as hfhub
from ._unreachable_signatures import SIGNATURES

if TYPE_CHECKING:
    from . import _netprobe as netprobe


OFFLINE = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    official_endpoint: str = setting(hfhub.OFFICIAL, "the hub used when HF_ENDPOINT is unset")
    mirrors: tuple[str, ...] = setting((hfhub.MIRROR,), "mirrors probed and offered, in order")
    control_url: str = setting(
        "", "a URL that tells 'the hub is blocked' from 'no network' (empty: the pip index)"
    )
    probe_repo: str = setting("openai-community/gpt2", "the repository whose config.json is probed")
    dns_timeout: float = setting(2.0, "seconds for each name lookup")
    connect_timeout: float = setting(3.0, "seconds for each TCP connect")
    tls_timeout: float = setting(3.0, "seconds for each TLS handshake")
    http_timeout: float = setting(4.0, "seconds for each HTTP answer")
    total_timeout: float = setting(8.0, "seconds the whole rule may take, however targets behave")
    verify_timeout: float = setting(30.0, "seconds for the real download that verifies the fix")

    @property
    def timeouts(self) -> netprobe.Timeouts:
        from . import _netprobe as netprobe

        return netprobe.Timeouts(
            self.dns_timeout, self.connect_timeout, self.tls_timeout, self.http_timeout
        )


def probe_all(
    urls: Mapping[str, str], env: Mapping[str, str], settings: Settings, seconds: float
) -> dict[str, netprobe.Probe]:
    """Every URL at once; whatever has no verdict within `seconds` is NO_ANSWER."""
    from . import _netprobe as netprobe

    results: dict[str, netprobe.Probe] = {}

    def run(key: str, url: str) -> None:
        results[key] = netprobe.probe(url, env, settings.timeouts)

    threads = [
        threading.Thread(target=run, args=item, daemon=True, name=f"probe-{item[0]}")
        for item in urls.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for key, url in urls.items():
        if key not in results:
            results[key] = netprobe.Probe(url, "NO_ANSWER", f"no verdict within {seconds:g} s")
    return results


_DOWNLOAD = r"""
import sys, tempfile
try:
    from huggingface_hub import hf_hub_download
except ImportError:
    sys.exit(3)
hf_hub_download(sys.argv[1], "config.json", cache_dir=tempfile.mkdtemp())
"""


def verify_download(
    python: str, repo: str, settings: Settings, env: Mapping[str, str]
) -> str | None:
    """A real hf_hub_download through the new endpoint, in a child of the target interpreter."""
    child_env = {
        **env,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "HF_HUB_ETAG_TIMEOUT": str(int(settings.http_timeout) or 1),
    }
    import tempfile  # only when a fix is verified

    with tempfile.TemporaryDirectory() as home:
        child_env["HF_HOME"] = home
        try:
            proc = subprocess.run(
                [python, "-c", _DOWNLOAD, repo],
                env=child_env,
                text=True,
                capture_output=True,
                timeout=settings.verify_timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"hf_hub_download did not finish in {settings.verify_timeout:g} s"
        except OSError as exc:
            return f"cannot start {python}: {exc.strerror}"
    if proc.returncode == 3:  # no huggingface_hub in the target: our own probe decides
        url = hfhub.resolve_url(hfhub.effective(env), repo)
        from . import _netprobe as netprobe

        verdict = hfhub.classify(netprobe.probe(url, env, settings.timeouts))
        return None if hfhub.reachable(verdict) else f"{url}: {verdict}"
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
        return lines[-1]
    return None


def _installed(ctx: Context) -> set[str]:
    try:
        return {d.key for d in ctx.target().distributions}
    except TargetError:
        return set()


def _env_fix(ctx: Context, settings: Settings, title: str, changes: tuple[EnvChange, ...]) -> Fix:
    python = ctx.location.python or "python3"
    return Fix(
        title,
        Applicability.SAFE,
        env=changes,
        verify=lambda env: verify_download(python, settings.probe_repo, settings, env),
    )


def _advice(title: str, text: str) -> Fix:
    return Fix(title, Applicability.DISPLAY_ONLY, instructions=text)


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    raw = ctx.env.get("HF_ENDPOINT")
    if raw is not None and hfhub.problems(raw):
        yield Diagnostic(
            Status.SKIP,
            "HF_ENDPOINT is malformed; DD202 (hf-endpoint-malformed) says how to correct it",
        )
        return
    offline = next((v for v in OFFLINE if ctx.env.get(v, "").lower() in TRUE), None)
    if offline:
        yield Diagnostic(Status.SKIP, f"{offline}={ctx.env[offline]}: the hub is not used here")
        return
    official = settings.official_endpoint.rstrip("/")
    endpoint = hfhub.effective(ctx.env, official)
    mirrors = [m.rstrip("/") for m in settings.mirrors if m.rstrip("/") != endpoint]
    control = settings.control_url or hfhub.pip_index(ctx.env)
    # The endpoint in use first: a healthy check never contacts a third-party mirror.
    start = time.monotonic()
    ctx.progress(f"probing {endpoint}")
    first = hfhub.resolve_url(endpoint, settings.probe_repo)
    results = probe_all({"endpoint": first}, ctx.env, settings, settings.total_timeout / 2)
    answered = hfhub.classify(results["endpoint"])
    if hfhub.reachable(answered):
        seen = {"endpoint": endpoint, "classification": answered}
        yield Diagnostic(Status.PASS, f"{endpoint} answers ({answered})", seen)
        return
    urls = {m: hfhub.resolve_url(m, settings.probe_repo) for m in mirrors}
    if endpoint != official:
        urls["official"] = hfhub.resolve_url(official, settings.probe_repo)
    urls["control"] = control
    ctx.progress(f"{endpoint} failed; probing {', '.join(mirrors) or 'the official hub'}")
    left = settings.total_timeout - (time.monotonic() - start)
    results.update(probe_all(urls, ctx.env, settings, max(0.5, left)))
    verdicts = {key: hfhub.classify(r) for key, r in results.items() if key != "control"}
    verdict = verdicts["endpoint"]
    ok_mirror = next((m for m in mirrors if hfhub.reachable(verdicts[m])), None)
    shown = ok_mirror or (mirrors[0] if mirrors else None)
    facts: dict[str, Any] = {
        "endpoint": endpoint,
        "classification": verdict,
        "detail": results["endpoint"].detail,
        "status": results["endpoint"].status,
        "via_proxy": results["endpoint"].via_proxy,
        "mirror": shown,
        "mirror_classification": verdicts.get(shown) if shown else None,
        "control": control,
        "control_classification": "OK"
        if results["control"].answered
        else results["control"].classification,
        "timings_ms": {key: r.timings_ms for key, r in results.items()},
    }
    yield from _decide(
        ctx,
        settings,
        endpoint,
        official,
        verdict,
        verdicts,
        ok_mirror,
        facts,
        results["control"].answered,
    )


def _decide(
    ctx: Context,
    settings: Settings,
    endpoint: str,
    official: str,
    verdict: str,
    verdicts: dict[str, str],
    ok_mirror: str | None,
    facts: dict[str, Any],
    control_ok: bool,
) -> Iterator[Diagnostic]:
    if hfhub.reachable(verdict):
        yield Diagnostic(Status.PASS, f"{endpoint} answers ({verdict})", facts)
        return
    if verdict in hfhub.TRANSIENT:
        what = "rate-limits requests" if verdict == "RATE_LIMITED" else "has an outage"
        yield Diagnostic(
            Status.WARN,
            f"{endpoint} {what} (HTTP {facts['status']}): wait and "
            "retry; switching endpoints will not help",
            facts,
            key="transient",
        )
        return
    if verdict == "PROXY_SOCKS":
        if {"socksio", "pysocks"} & _installed(ctx):
            yield Diagnostic(
                Status.SKIP,
                f"{endpoint} is reached through a SOCKS proxy, which devdoctor does not probe",
                facts,
            )
            return
        yield Diagnostic(
            Status.FAIL,
            "HTTPS_PROXY is a SOCKS proxy but neither socksio nor "
            "PySocks is installed: every hub request fails",
            {**facts, "classification": "PROXY_SOCKS_DEP"},
            (_advice("Install SOCKS support", "run: python -m pip install socksio"),),
            key="socks",
        )
        return
    if verdict == "PROXY_BROKEN":  # not "no network": the proxy every request goes through
        yield Diagnostic(
            Status.FAIL,
            f"the proxy {facts['via_proxy']} fails ({facts['detail']}): every hub request "
            "through it fails",
            facts,
            (
                _advice(
                    "Fix or unset the proxy",
                    "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the proxy does not answer or "
                    "does not forward to the hub",
                ),
            ),
            key="endpoint",
        )
        return
    if not control_ok:
        yield Diagnostic(
            Status.SKIP,
            f"no network: the control URL {facts['control']} fails too "
            f"({facts['control_classification']}); not recommending a mirror",
            facts,
        )
        return
    if endpoint != official and hfhub.reachable(verdicts.get("official", "")):
        fix = _env_fix(
            ctx,
            settings,
            "Unset HF_ENDPOINT (use the official hub)",
            (EnvChange("HF_ENDPOINT", op=EnvOp.UNSET),),
        )
        yield Diagnostic(
            Status.FAIL,
            f"HF_ENDPOINT={endpoint} fails ({verdict}) while {official} answers",
            facts,
            (fix,),
            key="endpoint",
        )
        return
    if verdict in hfhub.BLOCKING and ok_mirror:
        changes = [EnvChange("HF_ENDPOINT", ok_mirror)]
        if "hf-xet" in _installed(ctx):
            changes.append(EnvChange("HF_HUB_DISABLE_XET", "1"))
        token = " (your HF token will be sent to it)" if ctx.env.get("HF_TOKEN") else ""
        fix = _env_fix(ctx, settings, f"Set HF_ENDPOINT={ok_mirror}", tuple(changes))
        yield Diagnostic(
            Status.FAIL,
            f"{endpoint} is unreachable ({verdict}: "
            f"{facts['detail']}); the mirror {ok_mirror} answers{token}",
            facts,
            (fix,),
            key="endpoint",
        )
        return
    advice = {
        "TLS_MITM": _advice(
            "Trust the intercepting proxy's CA",
            "point SSL_CERT_FILE (hub >= 1.0) "
            "or REQUESTS_CA_BUNDLE (hub 0.x) at your network's CA bundle; never "
            "disable verification",
        ),
        "PROXY_BROKEN": _advice(
            "Fix or unset the proxy",
            "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the proxy does not forward to the hub",
        ),
        "CAPTIVE_PORTAL": _advice(
            "Log in to the network",
            "a web page answers instead of the hub: log in to the network, or correct HF_ENDPOINT",
        ),
        "NOT_A_HUB": _advice(
            "Correct HF_ENDPOINT", "the endpoint answers, but not as a Hugging Face Hub"
        ),
    }.get(verdict)
    tried = ", ".join(f"{m}: {verdicts[m]}" for m in verdicts if m not in ("endpoint", "official"))
    suffix = f"; no mirror answers either ({tried})" if tried and verdict in hfhub.BLOCKING else ""
    yield Diagnostic(
        Status.FAIL,
        f"{endpoint} is unreachable ({verdict}: {facts['detail']}){suffix}",
        facts,
        (advice,) if advice else (),
        key="endpoint",
    )


def fix_from_log(ctx: Context, facts: Mapping[str, Any], settings: Settings) -> Fix | None:
    return _advice(
        "Probe the hub and switch to a mirror that answers",
        "run: devdoctor fix hf-endpoint-unreachable",
    )


RULE = Rule(
    code="DD201",
    name="hf-endpoint-unreachable",
    summary="The Hugging Face Hub endpoint does not answer; a mirror does",
    scope=Scope.ENVIRONMENT,
    node=True,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    network=True,
    signatures=SIGNATURES,
    settings=Settings,
    fix_from_log=fix_from_log,
)
