"""DD209 with a loopback HTTPS hub whose certificate comes from a CA of its own (made by the
openssl CLI, as an intercepting proxy's): a real urllib call in the target fails, the check finds
the bundle that trusts it, the fix points the environment at it and the same call succeeds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fakehub import REPO, hub, intercepting_ca
from helpers import Runner, require_tool

CALL = "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=10)"


def test_intercepted_found_and_trusted(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    require_tool("openssl")
    ca, cert, key = intercepting_ca(tmp_path)
    python = str(user_venv / "bin" / "python")
    certifi = tmp_path / "cacert.pem"  # what the Python clients trust: the public roots only
    certifi.write_bytes(Path("/etc/ssl/certs/ca-certificates.crt").read_bytes())
    corporate = tmp_path / "corporate-bundle.pem"  # what IT installs: the usual roots + its CA
    corporate.write_bytes(certifi.read_bytes() + ca.read_bytes())
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.devdoctor.rules.tls-interception-ca]\nsystem_bundle = "{corporate}"\n'
    )
    with hub(tls=(cert, key)) as server:
        endpoint = f"https://127.0.0.1:{server.server_address[1]}"
        env = {
            "HF_ENDPOINT": endpoint,
            "REQUESTS_CA_BUNDLE": str(certifi),
            "SSL_CERT_FILE": str(certifi),
        }
        model = f"{endpoint}/api/models/{REPO}"
        failed = subprocess.run(
            [python, "-c", CALL, model], env=env, capture_output=True, text=True
        )
        assert "CERTIFICATE_VERIFY_FAILED" in failed.stderr
        log = tmp_path / "err.log"
        log.write_text(failed.stderr)
        names = {m["name"] for m in cli("diagnose", str(log), "--format", "json").json()["matches"]}
        assert names == {"tls-interception-ca"}
        doc = cli(
            "check",
            "tls-interception-ca",
            "--python",
            python,
            "--format",
            "json",
            env=env,
            cwd=tmp_path,
        ).json()
        [diag] = doc["results"][0]["diagnostics"]
        assert diag["status"] == "fail" and diag["facts"]["system_bundle"] == str(corporate)
        assert diag["fix"]["applicability"] == "safe"
        ran = cli(
            "fix", "tls-interception-ca", "--apply", "--python", python, env=env, cwd=tmp_path
        )
        assert ran.code == 0, ran.out + ran.err
        shell = subprocess.run(
            ["sh", "-c", f'. "{user_venv}/bin/activate" && python -c "{CALL}" {model}'],
            env=env,
            capture_output=True,
            text=True,
        )
        assert shell.returncode == 0, shell.stderr
        assert cli("undo", "--yes").code == 0
        offline = cli("check", "DD209", "--python", python, "--offline", env=env, cwd=tmp_path)
        assert offline.code == 0 and "skip" in offline.out


def test_a_trusted_endpoint_passes(cli: Runner, user_venv: Path, tmp_path: Path) -> None:
    require_tool("openssl")
    ca, cert, key = intercepting_ca(tmp_path)
    with hub(tls=(cert, key)) as server:
        env = {
            "HF_ENDPOINT": f"https://127.0.0.1:{server.server_address[1]}",
            "SSL_CERT_FILE": str(ca),
            "REQUESTS_CA_BUNDLE": str(ca),
        }
        ran = cli("check", "DD209", "--python", str(user_venv / "bin" / "python"), env=env)
        assert ran.code == 0, ran.out
