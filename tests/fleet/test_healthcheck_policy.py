"""`fleet healthcheck`'s policy and environment file: what a site writes is read, never run, and
every mistake is one line and exit 2 (Slurm logs it; no node is drained on our error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Runner

from devdoctor.fleet.healthcheck import read_env_file


def test_the_env_file_is_read_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    env = tmp_path / "node.env"
    env.write_text(
        "# the node's job environment\n"
        "export LD_PRELOAD=/opt/stale/libfoo.so\n"
        "HF_ENDPOINT='https://hf-mirror.com'\n"
        f'EVIL="$(touch {marker})"\n'
        "\n"
    )
    assert read_env_file(str(env)) == {
        "LD_PRELOAD": "/opt/stale/libfoo.so",
        "HF_ENDPOINT": "https://hf-mirror.com",
        "EVIL": f"$(touch {marker})",
    }
    assert not marker.exists()
    assert read_env_file(str(tmp_path / "absent.env")) == {}  # a node that sets nothing extra


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[healthcheck]\ntimeout = 90\n", "Slurm kills at 60 s"),
        ("[healthcheck]\ntimeout = true\n", "timeout must be"),
        ("[healthcheck]\ncolour = 1\n", "unknown policy keys: colour"),
        ("[healthcheck\n", "not TOML"),
        ('[healthcheck]\nrules = "DD102"\n', "rules must be a list"),
        ('[healthcheck]\nrules = ["DD301"]\n', "a user's problem never drains a node"),
        ('[healthcheck]\nrules = ["DD999"]\n', "unknown rule 'DD999'"),
        ("[healthcheck]\npython = 5\n", "python must be a string"),
        ('[healthcheck]\noffline = "yes"\n', "offline must be true or false"),
    ],
)
def test_bad_policies_are_one_line(cli: Runner, tmp_path: Path, text: str, says: str) -> None:
    policy = tmp_path / "fleet.toml"
    policy.write_text(text)
    ran = cli("fleet", "healthcheck", "--policy", str(policy), "--node-name", "node02")
    assert ran.code == 2 and says in ran.err and ran.err.count("\n") == 1, ran.err


def test_a_bad_env_file_or_node_name_is_one_line(cli: Runner, tmp_path: Path) -> None:
    env = tmp_path / "node02.env"
    env.write_text("LD_PRELOAD /opt/x.so\n")
    policy = tmp_path / "fleet.toml"
    policy.write_text(f'[healthcheck]\nenv_file = "{tmp_path}/{{node}}.env"\nrules = ["DD102"]\n')
    ran = cli("fleet", "healthcheck", "--policy", str(policy), "--node-name", "node02")
    assert ran.code == 2 and f"{env}:1: expected NAME=value" in ran.err
    ran = cli("fleet", "healthcheck", "--policy", str(policy), "--node-name", "../etc/passwd")
    assert ran.code == 2 and "letters, digits" in ran.err and ran.err.count("\n") == 1
    missing = cli("fleet", "healthcheck", "--policy", str(tmp_path / "nope.toml"))
    assert missing.code == 2 and "cannot read the policy" in missing.err
