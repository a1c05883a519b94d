"""Time for DD201 to reach a verdict, against the time huggingface_hub's own download takes to
fail on the same endpoint (refused port; black hole that accepts and never answers), measured in
one run. Goals: refused <= 1/5, black hole <= 1/20. Also: what the offline HF rules (DD202-DD204)
add to a `devdoctor check` that examines the environment anyway (goal < 20 ms).

    python bench/bench_hf.py [--cap 420] [--rounds 5]

huggingface_hub >= 1.2 needs ~390 s to fail on a black hole (a 60 s retry pass); --cap stops it
earlier and the ratio printed is then an upper bound.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
DOWNLOAD = (
    "from huggingface_hub import hf_hub_download; "
    "hf_hub_download('openai-community/gpt2', 'config.json')"
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def black_hole() -> int:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept() -> None:
        while True:
            held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


def timed(command: list[str], env: dict[str, str], cwd: str, cap: float | None = None) -> float:
    start = time.perf_counter()
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=cap,
            check=False,
        )
    return time.perf_counter() - start


def verdict_vs_download(endpoint: str, cap: float, work: str) -> tuple[float, float]:
    project = Path(work) / endpoint.rsplit(":", 1)[1]
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.devdoctor.rules.hf-endpoint-unreachable]\n"
        f'official_endpoint = "{endpoint}"\nmirrors = []\ncontrol_url = "{endpoint}/simple/"\n'
    )
    env = {**os.environ, "HOME": work, "HF_HOME": f"{work}/hf", "HF_HUB_DISABLE_TELEMETRY": "1"}
    check = timed([str(BIN / "devdoctor"), "check", "DD201"], env, str(project))
    download = timed([sys.executable, "-c", DOWNLOAD], {**env, "HF_ENDPOINT": endpoint}, work, cap)
    return check, download


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cap", type=float, default=420.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for name, port, goal in (("refused", closed_port(), 5), ("black hole", black_hole(), 20)):
            check, download = verdict_vs_download(f"http://127.0.0.1:{port}", args.cap, work)
            capped = " (capped: at least)" if download >= args.cap else ""
            print(
                f"{name:<11} devdoctor verdict {check:6.2f} s, hf_hub_download fails after "
                f"{download:6.1f} s{capped}: ratio 1/{download / check:.0f} (goal <= 1/{goal})"
            )
        env = {**os.environ, "HOME": work}
        base = [str(BIN / "devdoctor"), "check", "DD101", "DD102", "DD302"]
        with_hf = [*base, "DD202", "DD203", "DD204"]
        runs: dict[str, list[float]] = {"base": [], "with_hf": []}
        for _ in range(args.rounds):
            runs["base"].append(timed(base, env, work))
            runs["with_hf"].append(timed(with_hf, env, work))
        added = statistics.median(runs["with_hf"]) - statistics.median(runs["base"])
        print(
            f"offline HF rules DD202-DD204 add {added * 1000:.0f} ms to a check of DD101 DD102 "
            f"DD302 ({statistics.median(runs['base']) * 1000:.0f} ms; goal < 20 ms)"
        )


if __name__ == "__main__":
    main()
