"""DD201 against real loopback servers and the real huggingface_hub, in child processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import fakehub
import pytest
from devdoctor.rules.hf import _hub as hfhub
from devdoctor.rules.hf import _netprobe as netprobe
from helpers import Runner, sh, tree_hashes

FAST = netprobe.Timeouts(dns=2, connect=2, tls=2, http=2)


def verdict(url: str, env: dict[str, str] | None = None) -> str:
    return hfhub.classify(netprobe.probe(hfhub.resolve_url(url, fakehub.REPO), env or {}, FAST))


def settings(path: Path, endpoint: str, mirrors: list[str], control: str, **extra: object) -> None:
    lines = [
        f'official_endpoint = "{endpoint}"',
        f"mirrors = {mirrors!r}".replace("'", '"'),
        f'control_url = "{control}"',
        f'probe_repo = "{fakehub.REPO}"',
    ]
    lines += [f"{k} = {v!r}" for k, v in extra.items()]
    (path / "pyproject.toml").write_text(
        "[tool.devdoctor.rules.hf-endpoint-unreachable]\n" + "\n".join(lines) + "\n"
    )


def dd201(cli: Runner, cwd: Path, env: dict[str, str] | None = None) -> dict:
    ran = cli("check", "DD201", "--format", "json", cwd=cwd, env=env)
    assert ran.code in (0, 1, 3), ran.err
    return ran.json()["results"][0]


# --- classification ---------------------------------------------------------------------------


def test_every_failure_is_classified(tmp_path: Path) -> None:
    with fakehub.hub() as ok:
        assert verdict(fakehub.url(ok)) == "OK"
    assert verdict(f"http://127.0.0.1:{fakehub.closed_port()}") == "TCP_REFUSED"
    assert verdict("http://no-such-host.invalid") == "DNS_BLOCKED"
    assert verdict("htp:/broken") == "ENDPOINT_MALFORMED"
    for mode, expected in [
        ("portal", "CAPTIVE_PORTAL"),
        ("status:403", "HTTP_BLOCKED"),
        ("status:451", "HTTP_BLOCKED_LEGAL"),
        ("status:429", "RATE_LIMITED"),
        ("status:502", "UPSTREAM_DOWN"),
    ]:
        with fakehub.hub(mode) as server:
            assert verdict(fakehub.url(server)) == expected, mode
    with fakehub.black_hole() as port:
        start = time.monotonic()
        assert verdict(f"http://127.0.0.1:{port}") == "NO_ANSWER"
        assert time.monotonic() - start < FAST.http + 1
    with fakehub.hub(tls=fakehub.self_signed(tmp_path)) as server:
        assert verdict(fakehub.url(server, "https")) == "TLS_MITM"
        trusted = {"SSL_CERT_FILE": str(tmp_path / "cert.pem")}  # the user's own CA: fine
        assert verdict(fakehub.url(server, "https"), trusted) == "OK"
    with fakehub.refusing_proxy() as port:
        proxied = {"HTTPS_PROXY": f"http://127.0.0.1:{port}"}
        assert verdict("https://hub.example", proxied) == "PROXY_BROKEN"
        assert (
            verdict("https://hub.example", {**proxied, "NO_PROXY": "hub.example"}) == "DNS_BLOCKED"
        )
    assert (
        verdict("https://hub.example", {"HTTPS_PROXY": "socks5://127.0.0.1:1080"}) == "PROXY_SOCKS"
    )


def test_a_hub_that_answers_with_an_error_is_reachable() -> None:
    with fakehub.hub() as server:
        probe = netprobe.probe(
            f"{fakehub.url(server)}/nobody/nothing/resolve/main/config.json", {}, FAST
        )
        assert hfhub.classify(probe) == "HUB_ERROR"  # RepoNotFound: the hub is there


# --- decisions --------------------------------------------------------------------------------


def test_pass_when_the_endpoint_answers(cli: Runner, tmp_path: Path) -> None:
    with fakehub.hub() as hub:
        settings(tmp_path, fakehub.url(hub), [], fakehub.url(hub))
        result = dd201(cli, tmp_path)
    assert result["status"] == "pass"
    assert result["diagnostics"][0]["facts"]["classification"] == "OK"


def test_blocked_endpoint_and_a_working_mirror(cli: Runner, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{fakehub.closed_port()}"
    with fakehub.hub() as mirror:
        settings(tmp_path, dead, [fakehub.url(mirror)], fakehub.url(mirror))
        result = dd201(cli, tmp_path)
    [diag] = result["diagnostics"]
    assert result["status"] == "fail"
    assert diag["facts"]["classification"] == "TCP_REFUSED"
    assert diag["facts"]["mirror"] == fakehub.url(mirror)
    assert diag["facts"]["mirror_classification"] == "OK"
    assert diag["fix"] == {
        "title": f"Set HF_ENDPOINT={fakehub.url(mirror)}",
        "applicability": "safe",
    }


def test_no_network_skips_and_never_recommends_a_mirror(cli: Runner, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{fakehub.closed_port()}"
    with fakehub.hub() as mirror:
        settings(tmp_path, dead, [fakehub.url(mirror)], dead)
        result = dd201(cli, tmp_path)
    assert result["status"] == "skip"
    assert "no network" in result["diagnostics"][0]["message"]
    assert result["diagnostics"][0]["fix"] is None


def test_a_failing_mirror_in_hf_endpoint_is_unset(cli: Runner, tmp_path: Path) -> None:
    dead_mirror = f"http://127.0.0.1:{fakehub.closed_port()}"
    with fakehub.hub() as official:
        settings(tmp_path, fakehub.url(official), [], fakehub.url(official))
        result = dd201(cli, tmp_path, env={"HF_ENDPOINT": dead_mirror})
    [diag] = result["diagnostics"]
    assert result["status"] == "fail" and diag["facts"]["endpoint"] == dead_mirror
    assert diag["fix"]["title"] == "Unset HF_ENDPOINT (use the official hub)"


@pytest.mark.parametrize("mode", ["status:429", "status:502"])
def test_rate_limits_and_outages_warn_without_a_switch(
    cli: Runner, tmp_path: Path, mode: str
) -> None:
    with fakehub.hub(mode) as hub, fakehub.hub() as mirror:
        settings(tmp_path, fakehub.url(hub), [fakehub.url(mirror)], fakehub.url(mirror))
        result = dd201(cli, tmp_path)
    assert result["status"] == "warn" and result["diagnostics"][0]["fix"] is None


def test_tls_interception_gets_advice_not_a_mirror(cli: Runner, tmp_path: Path) -> None:
    with fakehub.hub(tls=fakehub.self_signed(tmp_path)) as mitm, fakehub.hub() as mirror:
        settings(tmp_path, fakehub.url(mitm, "https"), [fakehub.url(mirror)], fakehub.url(mirror))
        result = dd201(cli, tmp_path)
    [diag] = result["diagnostics"]
    assert diag["facts"]["classification"] == "TLS_MITM"
    assert diag["fix"]["applicability"] == "display-only"


def test_every_target_black_holed_still_ends_in_time(cli: Runner, tmp_path: Path) -> None:
    with fakehub.black_hole() as port:
        hole = f"http://127.0.0.1:{port}"
        settings(tmp_path, hole, [hole + "/m"], hole + "/simple/")
        start = time.monotonic()
        result = dd201(cli, tmp_path)
        elapsed = time.monotonic() - start
    assert result["status"] == "skip"  # the control black-holes too: no verdict about the hub
    assert result["diagnostics"][0]["facts"]["classification"] == "NO_ANSWER"
    assert elapsed < 8 + 3  # the 8 s bound, plus the interpreter's start-up (generous)


# --- the fix, end to end ----------------------------------------------------------------------


def _venv_with_hub(venv: Path) -> None:
    """The real huggingface_hub visible in a fresh venv, through a .pth file."""
    import huggingface_hub

    outer = Path(huggingface_hub.__file__).parent.parent
    inner = next((venv / "lib").glob("python*/site-packages"))
    (inner / "outer.pth").write_text(f"{outer}\n")


def test_mirror_fix_round_trip_with_real_huggingface_hub(
    cli: Runner, tmp_path: Path, user_venv: Path
) -> None:
    _venv_with_hub(user_venv)
    python = str(user_venv / "bin" / "python")
    pristine = tree_hashes(user_venv / "bin")
    dead = f"http://127.0.0.1:{fakehub.closed_port()}"
    with fakehub.hub() as mirror:
        settings(tmp_path, dead, [fakehub.url(mirror)], fakehub.url(mirror))
        ran = cli("fix", "DD201", "--apply", "--target", "venv", "--python", python, cwd=tmp_path)
        assert ran.code == 0, ran.out + ran.err
        assert f"Set HF_ENDPOINT={fakehub.url(mirror)}: fixed" in ran.out
        assert "verified in a new process" in ran.out
        download = (
            'python -c "from huggingface_hub import hf_hub_download; '
            f"print(open(hf_hub_download('{fakehub.REPO}', 'config.json')).read())\""
        )
        out = sh(
            "bash",
            f". {user_venv}/bin/activate; {download}",
            {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"},
        )
        assert out == ['{"model_type":', '"gpt2",', '"n_layer":', "2}"]
        assert any(r.startswith("GET /openai-community/gpt2/resolve/") for r in mirror.requests)
    assert cli("undo", "--yes").code == 0
    assert tree_hashes(user_venv / "bin") == pristine


# --- from logs --------------------------------------------------------------------------------


def _real_hub_error(tmp_path: Path, endpoint: str) -> str:
    code = "from huggingface_hub import snapshot_download; snapshot_download('devdoctor/tiny')"
    env = {
        **os.environ,
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_ETAG_TIMEOUT": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    return proc.stderr


def test_real_huggingface_hub_failure_is_recognised(cli: Runner, tmp_path: Path) -> None:
    stderr = _real_hub_error(tmp_path, f"http://127.0.0.1:{fakehub.closed_port()}")
    log = tmp_path / "hub.log"
    log.write_text(stderr)
    ran = cli("diagnose", str(log), "--format", "json")
    assert ran.code == 1
    assert {m["code"] for m in ran.json()["matches"]} == {"DD201"}


@pytest.mark.parametrize(
    "line",
    [
        "OSError: We couldn't connect to 'https://huggingface.co' to load the files, and couldn't "
        "find them in the cached files.",
        "'[Errno -2] Name or service not known' thrown while requesting HEAD "
        "https://huggingface.co/google-bert/bert-base-uncased/resolve/main/config.json",
        "requests.exceptions.ConnectionError: (MaxRetryError(\"HTTPSConnectionPool(host='huggingface"
        ".co', port=443): Max retries exceeded with url: /gpt2/resolve/main/config.json (Caused by "
        'NameResolutionError(\\"Failed to resolve \'huggingface.co\'\\"))"))',
        "ValueError: Connection error, and we cannot find the requested files in the cached path. "
        "Please try again or make sure your Internet connection is on.",
        "[rank0]: huggingface_hub.errors.LocalEntryNotFoundError: An error happened while trying to "
        "locate the file on the Hub and we cannot find the requested files in the local cache.",
        "ConnectionError: Couldn't reach 'wikitext' on the Hub (ConnectTimeout)",
    ],
)
def test_hub_unreachable_forms(cli: Runner, tmp_path: Path, line: str) -> None:
    log = tmp_path / "x.log"
    log.write_text(line + "\n")
    [match] = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert match["code"] == "DD201"


@pytest.mark.parametrize(
    "line",
    [
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max "
        "retries exceeded with url: /simple/torch/ (Caused by NewConnectionError('Failed'))",
        "fatal: unable to access 'https://github.com/org/repo.git/': Could not resolve host: "
        "github.com",
        "httpx.ConnectError: [Errno 111] Connection refused while calling https://api.openai.com/v1",
        "huggingface_hub.errors.RepositoryNotFoundError: 401 Client Error. Repository Not Found for "
        "url: https://huggingface.co/api/models/me/private",
        "huggingface_hub.errors.GatedRepoError: 403 Client Error. Cannot access gated repo for url "
        "https://huggingface.co/meta-llama/Llama-3-8B/resolve/main/config.json.",
        "huggingface_hub.errors.RemoteEntryNotFoundError: 404 Client Error. Entry Not Found for url: "
        "https://huggingface.co/gpt2/resolve/main/nothing.json.",
        "HTTP Error 429 thrown while requesting HEAD https://huggingface.co/datasets/x/y/resolve/main/a",
    ],
)
def test_look_alikes_are_not_an_unreachable_hub(cli: Runner, tmp_path: Path, line: str) -> None:
    log = tmp_path / "y.log"
    log.write_text(line + "\n")
    matches = cli("diagnose", str(log), "--format", "json").json()["matches"]
    assert [m for m in matches if m["code"] == "DD201"] == []


def test_a_location_no_parser_accepts_never_crashes_the_probe() -> None:
    reply = b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n"
    with fakehub.hostile(reply) as port:
        probe = netprobe.probe(f"http://127.0.0.1:{port}/x/resolve/main/config.json", {}, FAST)
    assert probe.status == 302 and probe.classification == "ANSWERED"


def test_a_hostile_status_line_is_capped_and_reaches_no_terminal(
    cli: Runner, tmp_path: Path
) -> None:
    """64 KB of status line with terminal escapes: bounded in time, size and bytes shown."""
    reason = b"\x1b]52;c;cHduZWQ=\x07\x1b[2J" + b"A" * 65536
    with fakehub.hostile(b"HTTP/1.1 403 " + reason + b"\r\n\r\n") as port, fakehub.hub() as ok:
        hostile_url = f"http://127.0.0.1:{port}"
        settings(tmp_path, hostile_url, [], fakehub.url(ok))
        start = time.monotonic()
        text = cli("check", "DD201", "-v", cwd=tmp_path)
        doc = dd201(cli, tmp_path)
        elapsed = time.monotonic() - start
    assert elapsed < 2 * 8 + 5
    for shown in (text.out + text.err, json.dumps(doc)):
        assert "\x1b" not in shown and "\\u001b" not in shown and "\x07" not in shown
    assert len(doc["diagnostics"][0]["message"]) < 2000


def test_a_healthy_check_never_contacts_the_mirror(cli: Runner, tmp_path: Path) -> None:
    with fakehub.hub() as hub, fakehub.hub() as mirror, fakehub.hub() as control:
        settings(tmp_path, fakehub.url(hub), [fakehub.url(mirror)], fakehub.url(control))
        result = dd201(cli, tmp_path)
        assert result["status"] == "pass"
        assert hub.requests and mirror.requests == [] and control.requests == []


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_offline_mode_is_a_skip_without_probing(cli: Runner, tmp_path: Path, variable: str) -> None:
    with fakehub.hub() as hub:
        settings(tmp_path, fakehub.url(hub), [], fakehub.url(hub))
        result = dd201(cli, tmp_path, env={variable: "1"})
        assert result["status"] == "skip" and variable in result["diagnostics"][0]["message"]
        assert hub.requests == []


def test_the_offline_flag_skips_every_network_rule(cli: Runner, tmp_path: Path) -> None:
    with fakehub.hub() as hub:
        settings(tmp_path, fakehub.url(hub), [], fakehub.url(hub))
        for args in (("check", "--offline"), ("check", "--offline", "--format", "json")):
            ran = cli(*args, cwd=tmp_path)
            assert ran.code in (0, 1), ran.err
        doc = cli("check", "--offline", "--format", "json", cwd=tmp_path).json()
        dd = next(r for r in doc["results"] if r["code"] == "DD201")
        assert dd["status"] == "skip" and "--offline" in dd["diagnostics"][0]["message"]
        assert hub.requests == []


def test_a_broken_proxy_is_a_failure_naming_it(cli: Runner, tmp_path: Path) -> None:
    """Every request, the control one too, goes through the proxy: that is no 'no network'."""
    with fakehub.hub() as hub:
        settings(tmp_path, fakehub.url(hub), [], fakehub.url(hub))
        proxy = f"http://alice:s3cr3tpw@127.0.0.1:{fakehub.closed_port()}"
        ran = cli(
            "check",
            "DD201",
            "--format",
            "json",
            cwd=tmp_path,
            env={"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "NO_PROXY": ""},
        )
    [result] = ran.json()["results"]
    assert ran.code == 1 and result["status"] == "fail"
    message = result["diagnostics"][0]["message"]
    assert "the proxy http://alice:***@127.0.0.1:" in message and "s3cr3tpw" not in ran.out


def test_the_spinner_names_what_it_waits_on(tmp_path: Path) -> None:
    """On a terminal the spinner says which rule and which probe; off a terminal, nothing."""
    import os
    import pty
    import sys

    with fakehub.black_hole() as port:
        hole = f"http://127.0.0.1:{port}"
        settings(tmp_path, hole, [], hole + "/simple/", total_timeout=2.0)
        command = [sys.executable, "-m", "devdoctor", "check", "DD201", "DD302"]
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(tmp_path)
            os.execv(command[0], command)
        seen = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.waitpid(pid, 0)
        text = seen.decode(errors="replace")
        assert "DD201 hf-endpoint-unreachable: probing " + hole in text
        piped = subprocess.run(
            command,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "FORCE_COLOR": "1"},
        )
        assert "probing" not in piped.stderr
