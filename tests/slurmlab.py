"""A real multi-node Slurm cluster on this machine (../shared/research/fleet.md, appendix A): a
private munged, slurmctld and N `slurmd -N nodeXX` on 127.0.0.1, all inside one PID namespace
(`unshare --pid --kill-child`) so that one SIGKILL at teardown removes every daemon and every
orphaned slurmstepd. Per-node faults come from the TaskProlog (`export K=V` lines in
inject/<node>), as sites inject environment."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

from helpers import require_tool


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class SlurmLab:
    def __init__(self, root: Path, count: int, extra_conf: str = "") -> None:
        for tool in ("slurmctld", "slurmd", "srun", "munged", "scontrol", "sinfo", "unshare"):
            require_tool(tool)
        if os.geteuid() != 0:
            import pytest

            pytest.skip("the Slurm lab runs slurmd as root")
        self.root = root
        self.nodes = [f"node{i:02d}" for i in range(1, count + 1)]
        self.inject = root / "inject"
        self.inject.mkdir(parents=True)
        (root / "munge").mkdir(mode=0o700)
        (root / "ctld").mkdir()
        (root / "d").mkdir()
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self.munge_socket = root / "munge" / "munge.sock"
        prolog = root / "taskprolog.sh"
        prolog.write_text(  # an executable inject file runs (a fault that changes over time)
            f'#!/bin/sh\nf={self.inject}/"$SLURMD_NODENAME"\n'
            '[ -x "$f" ] && exec "$f"\n[ -e "$f" ] && cat "$f"\nexit 0\n'
        )
        prolog.chmod(0o755)
        host = socket.gethostname()
        ctl, *ports = _free_ports(1 + count)
        nodes = "\n".join(
            f"NodeName={n} NodeHostname={host} NodeAddr=127.0.0.1 Port={p} CPUs=2 RealMemory=1000"
            for n, p in zip(self.nodes, ports, strict=True)
        )
        self.conf = root / "slurm.conf"
        self.conf.write_text(
            f"""ClusterName=ddtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctl}
AuthType=auth/munge
AuthInfo=socket={self.munge_socket}
CredType=cred/munge
SlurmUser=root
StateSaveLocation={root}/ctld
SlurmdSpoolDir={root}/d/%n
SlurmctldPidFile={root}/ctld.pid
SlurmdPidFile={root}/d/%n.pid
SlurmctldLogFile={root}/ctld.log
SlurmdLogFile={root}/d/%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
ReturnToService=2
TaskProlog={prolog}
MessageTimeout=20
{extra_conf}
{nodes}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""
        )
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        for name in [k for k in self.env if k.startswith("SLURM_") and k != "SLURM_CONF"]:
            del self.env[name]
        start = [
            f"munged -F --force --socket={self.munge_socket} --key-file={key} "
            f"--pid-file={root}/munge/munged.pid --log-file={root}/munge/munged.log "
            f"--seed-file={root}/munge/seed &",
            f"while [ ! -S {self.munge_socket} ]; do sleep 0.05; done",
            f"slurmctld -D -i -f {self.conf} >{root}/ctld.out 2>&1 &",
            *(f"slurmd -D -f {self.conf} -N {n} >{root}/d/{n}.out 2>&1 &" for n in self.nodes),
            "wait",
        ]
        self.proc = subprocess.Popen(
            [
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc",
                "sh",
                "-c",
                "\n".join(start),
            ],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_idle(count)

    def sinfo(self, *args: str) -> str:
        return subprocess.run(
            ["sinfo", "-h", *args], env=self.env, capture_output=True, text=True, timeout=20
        ).stdout.strip()

    def wait_idle(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.sinfo("-o", "%T %D")
            if out == f"idle {count}":
                return
            time.sleep(0.2)
        log = (
            (self.root / "ctld.log").read_text()[-2000:]
            if (self.root / "ctld.log").exists()
            else ""
        )
        self.stop()
        raise RuntimeError(f"the Slurm lab did not come up: {out!r}\n{log}")

    def fault(self, node: str, **env: str) -> None:
        """What the TaskProlog exports on that node (the job environment the site sets)."""
        lines = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        (self.inject / node).write_text(lines)

    def reason(self, node: str) -> str:
        return self.sinfo("-N", "-n", node, "-o", "%E")

    def state(self, node: str) -> str:
        return self.sinfo("-N", "-n", node, "-o", "%T")

    def scontrol(self, *args: str) -> str:
        return subprocess.run(
            ["scontrol", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # --kill-child takes the namespace with it
            self.proc.wait(10)
