"""The shipped playbook (`fleet render playbook`) with real ansible-core against four local hosts
(`ansible_connection=local`, per-host environment from host_vars): it collects reports that
`fleet merge` reads, check mode previews fixes without writing, a run applies them in batches
under one fleet run id, and `-e undo=ID` puts every file back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import Runner, require_tool, tree_hashes

HOSTS = ["gpu01", "gpu02", "gpu03", "gpu04"]


@pytest.fixture
def site(tmp_path: Path, cli: Runner) -> Path:
    """An inventory of four local hosts, each with its own venv and a malformed HF_ENDPOINT;
    gpu03 also has a stale LD_PRELOAD."""
    (tmp_path / "host_vars").mkdir()
    for host in HOSTS:
        venv.create(tmp_path / "venvs" / host, with_pip=False)
        env = {"VIRTUAL_ENV": str(tmp_path / "venvs" / host), "HF_ENDPOINT": "huggingface.co"}
        if host == "gpu03":
            env["LD_PRELOAD"] = "/opt/stale/libfoo.so"
        (tmp_path / "host_vars" / f"{host}.yml").write_text(json.dumps({"dd_env": env}))
    (tmp_path / "inventory.ini").write_text(
        f"[gpu]\ngpu[01:04] ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    ran = cli("fleet", "render", "playbook", "--output", str(tmp_path / "devdoctor-fleet.yml"))
    assert ran.code == 0, ran.err
    return tmp_path


def playbook(
    site: Path, *args: str, extra: dict[str, object] | None = None
) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "ansible-playbook"
    if not binary.exists():
        require_tool("ansible-playbook")
    variables = {
        "devdoctor": [sys.executable, "-m", "devdoctor"],
        "reports_dir": str(site / "reports"),
        **(extra or {}),
    }
    return subprocess.run(
        [str(binary), "-i", str(site / "inventory.ini"), str(site / "devdoctor-fleet.yml"),
         "-e", json.dumps(variables), *args],
        capture_output=True, text=True, timeout=600, check=False, cwd=site,
    )  # fmt: skip


def test_collect_preview_apply_and_undo(cli: Runner, site: Path) -> None:
    ran = playbook(site, extra={"check_args": ["DD102", "DD202", "--offline"]})
    assert ran.returncode == 0, ran.stdout[-3000:]
    merged = cli("fleet", "merge", str(site / "reports"), "--expect", "gpu[01-04]")
    assert "DD102 fail on gpu03 (1/4)  stale-ld-preload" in merged.out, merged.out + merged.err
    assert "DD202 fail on gpu[01-04] (4/4)  hf-endpoint-malformed" in merged.out
    assert merged.out.splitlines()[-1] == "exclude: --exclude=gpu[01-04]"

    before = tree_hashes(site / "venvs")
    preview = playbook(site, "--check", extra={"fix": True, "rules": ["DD202"]})
    assert preview.returncode == 0, preview.stdout[-3000:]
    assert tree_hashes(site / "venvs") == before  # check mode wrote nothing on the hosts
    plan = json.loads((site / "reports" / "plans" / "gpu02.json").read_text())
    assert plan["kind"] == "fix-plan" and plan["fixes"][0]["title"] == (
        "Set HF_ENDPOINT=https://huggingface.co"
    )

    applied = playbook(site, extra={"fix": True, "rules": ["DD202"], "batch": 2})
    assert applied.returncode == 0, applied.stdout[-3000:]
    assert applied.stdout.count("PLAY [devdoctor]") == 2  # two batches of two (serial)
    run_id = re.findall(r"fleet run (\d{8}T\d{6}-[0-9a-f]{6}):", applied.stdout)[0]
    for host in HOSTS:
        outcome = json.loads((site / "reports" / "fixes" / f"{host}.json").read_text())
        assert outcome["applied"][0]["run"], host
        shell = subprocess.run(
            ["bash", "-c", f'. "{site}/venvs/{host}/bin/activate"; echo "$HF_ENDPOINT"'],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert shell.stdout.strip() == "https://huggingface.co", host
    assert tree_hashes(site / "venvs") != before

    undone = playbook(site, extra={"undo": run_id})
    assert undone.returncode == 0, undone.stdout[-3000:]
    assert tree_hashes(site / "venvs") == before
    assert "changed=1" in undone.stdout  # each host undid its own part

    bad = playbook(site, extra={"undo": "not-a-run"})
    assert bad.returncode != 0 and "is not a fleet run id" in bad.stdout
