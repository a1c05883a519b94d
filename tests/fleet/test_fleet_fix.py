"""`fleet fix plan|apply` and `fleet undo` through a real Slurm cluster: six nodes with a
malformed HF_ENDPOINT (a safe fix: the corrected value persisted in the node's venv), four with
a venv of their own and two sharing one (the shared activate script is edited once, by one
node); a canary that dies stops the rollout; undo restores every file byte for byte."""

from __future__ import annotations

import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Runner, tree_hashes
from slurmlab import SlurmLab

BLOCK = "# >>> devdoctor >>>"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[SlurmLab, dict[str, Path]]]:
    lab = SlurmLab(tmp_path / "lab", 6)
    venvs = {}
    shared = tmp_path / "venvs" / "shared"
    venv.create(shared, with_pip=False)
    for node in lab.nodes:
        if node in ("node05", "node06"):
            venvs[node] = shared
        else:
            venvs[node] = tmp_path / "venvs" / node
            venv.create(venvs[node], with_pip=False)
        lab.fault(node, VIRTUAL_ENV=str(venvs[node]), HF_ENDPOINT="huggingface.co")
    yield lab, venvs
    lab.stop()


def endpoint_after_activation(env_dir: Path) -> str:
    """What a new shell of that venv gets: the proof that the fix works where it was written."""
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'export HF_ENDPOINT=huggingface.co; . "{env_dir}/bin/activate"; echo "$HF_ENDPOINT"',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_plan_apply_and_undo_across_six_nodes(
    cli: Runner, fleet: tuple[SlurmLab, dict[str, Path]], tmp_path: Path
) -> None:
    lab, venvs = fleet
    before = tree_hashes(tmp_path / "venvs")
    plan = cli("fleet", "fix", "plan", "-w", "node[01-06]", "--", "DD202", env=lab.env, timeout=120)
    assert plan.code == 0, plan.out + plan.err
    assert "DD202 on node[01-06] (6): safe: Set HF_ENDPOINT=https://huggingface.co" in plan.out
    assert f"shared file {venvs['node05']}/bin/activate: applied once, by one node" in plan.out
    assert tree_hashes(tmp_path / "venvs") == before  # a plan writes nothing

    ran = cli(
        "fleet", "fix", "apply", "--canary", "1", "--batch", "2", "-w", "node[01-06]", "--", "DD202",
        env=lab.env, timeout=300,
    )  # fmt: skip
    assert ran.code == 0, ran.out + ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "shared: DD202 on node05: fixed", ran.out
    assert lines[1] == "canary: DD202 on node01: fixed"
    assert [line.split(":")[0] for line in lines[2:5]] == ["batch 1", "batch 2", "batch 3"]
    run_id = lines[-1].split()[2].rstrip(":")
    for node, env_dir in venvs.items():
        assert endpoint_after_activation(env_dir) == "https://huggingface.co", node
        assert (env_dir / "bin" / "activate").read_text().count(BLOCK) == 2, node  # set + restore

    undone = cli("fleet", "undo", run_id, env=lab.env, timeout=120)
    assert undone.code == 0, undone.out + undone.err
    assert "node05: undone 1 run(s)" in undone.out
    assert tree_hashes(tmp_path / "venvs") == before


def test_a_canary_that_dies_stops_the_rollout(
    cli: Runner, fleet: tuple[SlurmLab, dict[str, Path]], tmp_path: Path
) -> None:
    lab, venvs = fleet
    # node01 answers the plan, then its Python breaks (the second task it runs)
    count = tmp_path / "node01.count"
    script = lab.inject / "node01"
    script.write_text(
        f'#!/bin/sh\necho "export VIRTUAL_ENV={venvs["node01"]}"\necho "export HF_ENDPOINT=huggingface.co"\n'
        f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n + 1)) > {count}\n"
        f'[ "$n" -ge 1 ] && echo "export PYTHONHOME=/nonexistent"\nexit 0\n'
    )
    script.chmod(0o755)
    before = tree_hashes(tmp_path / "venvs")
    ran = cli(
        "fleet", "fix", "apply", "--canary", "1", "--max-fail", "0", "-w", "node[01-06]", "--",
        "DD202", env=lab.env, timeout=300,
    )  # fmt: skip
    assert ran.code == 1, ran.out + ran.err
    assert "canary: DD202 on node01: failed on node01" in ran.out
    assert "stopped after canary: 1 node(s) failed (--max-fail 0)" in ran.out
    for node in ("node02", "node03", "node04"):  # never reached
        assert BLOCK not in (venvs[node] / "bin" / "activate").read_text()
    run_id = ran.out.splitlines()[-1].split()[2].rstrip(":")
    assert cli("fleet", "undo", run_id, env=lab.env, timeout=120).code == 0
    assert tree_hashes(tmp_path / "venvs") == before


def test_a_node_without_a_plan_stops_everything(
    cli: Runner, fleet: tuple[SlurmLab, dict[str, Path]], tmp_path: Path
) -> None:
    lab, _ = fleet
    lab.fault("node03", PYTHONHOME="/nonexistent")
    before = tree_hashes(tmp_path / "venvs")
    ran = cli("fleet", "fix", "apply", "-w", "node[01-06]", "--", "DD202", env=lab.env, timeout=300)
    assert ran.code == 2 and "no plan from node03: nothing applied" in ran.err, ran.out + ran.err
    assert tree_hashes(tmp_path / "venvs") == before


def test_bad_fleet_arguments(cli: Runner) -> None:
    for args, says in [
        (["fleet", "undo", "not-an-id"], "is not a fleet run id"),
        (["fleet", "undo", "20261201T000000-abcdef"], "no fleet run"),
        (["fleet", "fix", "apply", "--engine", "pdsh"], "--engine pdsh"),
        (["fleet", "fix", "apply", "--batch", "0"], "--batch >= 1"),
    ]:
        ran = cli(*args)
        assert ran.code == 2 and says in ran.err and ran.err.count("\n") == 1, (args, ran.err)
