"""The fleet commands on a real Slurm cluster (tests/slurmlab.py): `fleet srun` over 64 slurmd
with per-node faults, a node whose devdoctor cannot start, and `fleet healthcheck` run by slurmd
itself as HealthCheckProgram (drain with our reason, resume our own drain only) and as Prolog."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import Runner
from slurmlab import SlurmLab


@pytest.fixture(scope="module")
def lab64(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmLab]:
    lab = SlurmLab(tmp_path_factory.mktemp("slurm64"), 64)
    lab.fault("node03", LD_PRELOAD="/opt/stale/libfoo.so")
    lab.fault("node17", LD_PRELOAD="/opt/stale/libfoo.so")
    lab.fault("node42", HF_ENDPOINT="not-a-url")
    lab.fault("node50", PYTHONHOME="/nonexistent")  # devdoctor cannot even start there
    yield lab
    lab.stop()


def test_three_of_64_through_fleet_srun(cli: Runner, lab64: SlurmLab, tmp_path: Path) -> None:
    ran = cli(
        "fleet", "srun", "-w", "node[01-64]", "--", "DD102", "DD202", "--offline",
        env=lab64.env, timeout=300,
    )  # fmt: skip
    lines = ran.out.splitlines()
    assert lines[0] == "63 reports: node[01-49,51-64] (expected node[01-64])", ran.out + ran.err
    assert "MISSING on node50 (1/64)  no report" in lines
    assert "DD102 fail on node[03,17] (2/64)  stale-ld-preload" in lines
    assert "DD202 fail on node42 (1/64)  hf-endpoint-malformed" in lines
    assert lines[-1] == "exclude: --exclude=node[03,17,42,50]"
    assert ran.code == 2  # a node that did not report is worse news than a failure
    said = [line for line in ran.err.splitlines() if line.startswith("running: ")]
    assert said and " --ntasks-per-node=1 " in said[0] and "-w 'node[01-64]'" in said[0]


def test_fleet_srun_exit_lets_a_batch_script_stop(cli: Runner, lab64: SlurmLab) -> None:
    healthy = cli("fleet", "srun", "-w", "node[20-23]", "--", "DD102", "--offline", env=lab64.env)
    assert healthy.code == 0, healthy.out + healthy.err
    assert healthy.out.splitlines()[0] == "4 reports: node[20-23]"
    sick = cli("fleet", "srun", "-w", "node[16-18]", "--", "DD102", "--offline", env=lab64.env)
    assert sick.code == 1 and sick.out.splitlines()[-1] == "exclude: --exclude=node17"


def test_fleet_srun_without_slurm_is_one_line(cli: Runner, tmp_path: Path) -> None:
    ran = cli("fleet", "srun", "-N2", env={"PATH": str(tmp_path)})
    assert ran.code == 2 and "srun is not on PATH" in ran.err and ran.err.count("\n") == 1


def wait_for(what: Callable[[], bool], timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def health_lab(tmp_path: Path) -> Iterator[tuple[SlurmLab, Path]]:
    """Four nodes whose slurmd runs `devdoctor fleet healthcheck` every 2 s, as sites run NHC."""
    root = tmp_path / "lab"
    root.mkdir()
    envs = tmp_path / "env"
    envs.mkdir()
    policy = tmp_path / "fleet.toml"
    policy.write_text(
        f'[healthcheck]\nenv_file = "{envs}/{{node}}.env"\nrules = ["DD102", "DD202"]\n'
        f'timeout = 30\nreport_dir = "{tmp_path}/spool"\n'
    )
    program = tmp_path / "dd-healthcheck"
    home = os.environ["HOME"]  # the test's own home: slurmd gives the program none
    program.write_text(  # a site's wrapper names its slurm.conf when it is not the default
        f"#!/bin/sh\nexport SLURM_CONF={root}/slurm.conf HOME={home}\n"
        f"export XDG_CACHE_HOME={home}/.cache XDG_STATE_HOME={home}/.state\n"
        f"exec {sys.executable} -m devdoctor fleet healthcheck --policy {policy} "
        f">>{tmp_path}/hc.log 2>&1\n"
    )
    program.chmod(0o755)
    lab = SlurmLab(
        root,
        4,
        f"HealthCheckProgram={program}\nHealthCheckInterval=2\nHealthCheckNodeState=ANY",
    )
    yield lab, envs
    lab.stop()


def test_healthcheck_drains_with_our_reason_and_resumes_only_our_drain(
    health_lab: tuple[SlurmLab, Path], tmp_path: Path
) -> None:
    lab, envs = health_lab
    lab.scontrol("update", "nodename=node01", "state=drain", "reason=admin: bad DIMM")
    (envs / "node03.env").write_text("export LD_PRELOAD=/opt/stale/libfoo.so\n")
    (envs / "node04.env").write_text("HF_ENDPOINT='not-a-url'\n")
    drained = wait_for(
        lambda: (
            lab.reason("node03") == "devdoctor: DD102 stale-ld-preload"
            and lab.reason("node04") == "devdoctor: DD202 hf-endpoint-malformed"
        )
    )
    log = (tmp_path / "hc.log").read_text() if (tmp_path / "hc.log").exists() else ""
    assert drained, (lab.reason("node03"), lab.reason("node04"), log[-2000:])
    assert lab.reason("node02") == "none" and "drain" in lab.state("node03")
    assert lab.reason("node01") == "admin: bad DIMM"  # not ours: untouched
    spool = tmp_path / "spool" / "node03.json"
    assert spool.exists() and (spool.stat().st_mode & 0o777) == 0o600

    (envs / "node03.env").write_text("")  # the site fixes node03's environment
    assert wait_for(lambda: lab.reason("node03") == "none"), lab.reason("node03")
    assert lab.reason("node01") == "admin: bad DIMM"  # still theirs, still drained
    assert lab.reason("node04") == "devdoctor: DD202 hf-endpoint-malformed"


def test_healthcheck_dry_run_changes_nothing(
    cli: Runner, health_lab: tuple[SlurmLab, Path], tmp_path: Path
) -> None:
    lab, envs = health_lab
    (envs / "node02.env").write_text("LD_PRELOAD=/opt/stale/libbar.so\n")
    bare = {"PATH": os.environ["PATH"], "SLURM_CONF": lab.env["SLURM_CONF"]}
    policy = tmp_path / "fleet.toml"
    ran = cli(
        "fleet", "healthcheck", "--policy", str(policy), "--node-name", "node02", "--dry-run",
        env=bare,
    )  # fmt: skip
    assert ran.code == 1, ran.err
    assert (
        "would run: scontrol update nodename=node02 state=drain "
        "'reason=devdoctor: DD102 stale-ld-preload'" in ran.err
    )
    assert lab.reason("node02") == "none"


def test_prolog_mode_fails_the_job_on_a_bad_node(tmp_path: Path, cli: Runner) -> None:
    envs = tmp_path / "env"
    envs.mkdir()
    (envs / "node02.env").write_text("LD_PRELOAD=/opt/stale/libfoo.so\n")
    policy = tmp_path / "fleet.toml"
    policy.write_text(f'[healthcheck]\nenv_file = "{envs}/{{node}}.env"\nrules = ["DD102"]\n')
    prolog = tmp_path / "dd-prolog"
    home = os.environ["HOME"]
    prolog.write_text(
        f"#!/bin/sh\nexport HOME={home} XDG_CACHE_HOME={home}/.cache XDG_STATE_HOME={home}/.state\n"
        f"exec {sys.executable} -m devdoctor fleet healthcheck --mode prolog "
        f"--policy {policy}\n"
    )
    prolog.chmod(0o755)
    lab = SlurmLab(tmp_path / "lab", 2, f"Prolog={prolog}")
    try:
        import subprocess

        good = subprocess.run(
            ["srun", "-w", "node01", "true"], env=lab.env, capture_output=True, timeout=60
        )
        assert good.returncode == 0, good.stderr
        bad = subprocess.run(
            ["srun", "-w", "node02", "--immediate=20", "true"],
            env=lab.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode != 0
        assert wait_for(lambda: lab.reason("node02") == "Prolog error"), lab.reason("node02")
    finally:
        lab.stop()


def test_a_node_that_hangs_is_missing_after_the_timeout(
    cli: Runner, lab64: SlurmLab, tmp_path: Path
) -> None:
    hang = tmp_path / "hang"
    hang.mkdir()
    (hang / "sitecustomize.py").write_text("import time\ntime.sleep(600)\n")
    lab64.fault("node60", PYTHONPATH=str(hang))
    try:
        start = time.monotonic()
        ran = cli(
            "fleet", "srun", "--timeout", "15", "--format", "hostlist", "-w", "node[58-61]", "--",
            "DD102", "--offline", env=lab64.env, timeout=120,
        )  # fmt: skip
        assert time.monotonic() - start < 60
        assert ran.code == 2, ran.out + ran.err
        assert ran.out == "node60\n"  # the one to exclude
        assert "srun did not finish in 15 s; merged what came back" in ran.err
    finally:
        (lab64.inject / "node60").unlink()
    assert wait_for(lambda: lab64.sinfo("-n", "node60", "-o", "%T") == "idle", 60)
