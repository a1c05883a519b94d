"""Which machine a report comes from: the `host` block of `check --format json|jsonl`, so that
`fleet merge` can tell nodes apart (several slurmd on one host share a hostname; the node name is
what the scheduler calls it)."""

from __future__ import annotations

import datetime
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def node_name(env: Mapping[str, str], given: str | None = None) -> tuple[str, str]:
    """(name, where it came from): --node-name > SLURMD_NODENAME > the Kubernetes node (the
    downward API's NODE_NAME, only inside a pod) > the short hostname."""
    if given:
        return given, "--node-name"
    if env.get("SLURMD_NODENAME"):
        return env["SLURMD_NODENAME"], "SLURMD_NODENAME"
    if env.get("KUBERNETES_SERVICE_HOST") and env.get("NODE_NAME"):
        return env["NODE_NAME"], "NODE_NAME"
    return socket.gethostname().split(".")[0], "hostname"


def scheduler(env: Mapping[str, str]) -> dict[str, str] | None:
    if env.get("SLURM_JOB_ID") or env.get("SLURMD_NODENAME"):
        found = {"kind": "slurm"}
        for key, name in (
            ("cluster", "SLURM_CLUSTER_NAME"),
            ("job_id", "SLURM_JOB_ID"),
            ("step", "SLURM_STEP_ID"),
        ):
            if env.get(name):
                found[key] = env[name]
        return found
    if env.get("KUBERNETES_SERVICE_HOST"):
        return {"kind": "kubernetes"}
    return None


def host_block(
    env: Mapping[str, str], given: str | None = None, system_root: str = "/"
) -> dict[str, Any]:
    name, source = node_name(env, given)
    try:
        boot = (Path(system_root) / "proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = None
    return {
        "node": name,
        "node_source": source,
        "hostname": socket.gethostname(),
        "boot_id": boot,
        "scheduler": scheduler(env),
        "generated_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
