"""`devdoctor diagnose` at log scale and `devdoctor run -- CMD`: streams, junk, adversarial input,
a table of positives and negatives per signature."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from helpers import Runner, stale_lock

from devdoctor.core.registry import load
from devdoctor.logs.scanner import Scanner

RULES = load().rules
TLS = "OSError: /opt/env/lib/python3.10/site-packages/scikit_learn.libs/libgomp-d22c30c5.so.1.0.0: cannot allocate memory in static TLS block"
LOCK = "fatal: Unable to create '/work/repo/.git/index.lock': File exists."

# (line, rule code or None): positives and negatives for every signature
TABLE = [
    (TLS, "DD101"),
    ("ImportError: ./libx.so: cannot allocate memory in static TLS block", "DD101"),
    (
        "dlopen error: /a/b/../c/libtorch_cpu.so: cannot allocate memory in static TLS block",
        "DD101",
    ),
    (
        '{"msg": "ImportError: \\/usr\\/lib\\/libjemalloc.so.2: cannot allocate memory in static TLS block"}',
        "DD101",
    ),
    ("OSError: libfoo.so: cannot open shared object file: No such file or directory", None),
    ("ImportError: /usr/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found", "DD103"),
    ("OSError: cannot allocate memory in static TLS block", None),  # no library named
    (LOCK, "DD302"),
    ("error: Unable to create 'C:/src/.git/index.lock': File exists.", "DD302"),
    ("fatal: Unable to create '/repo/.git/shallow.lock': File exists.", None),
    (
        "ERROR: ld.so: object '/gone/libgomp.so.1' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.",
        "DD102",
    ),
    ("ld.so: object 'libfoo.so' from /etc/ld.so.preload cannot be preloaded", None),
    (
        "OSError: We couldn't connect to 'https://hf-mirror.com' to load the files, and couldn't find them in the cached files.",
        "DD201",
    ),
    (
        "'[Errno 111] Connection refused' thrown while requesting HEAD http://127.0.0.1:9/gpt2/config/resolve/main/config.json",
        "DD201",
    ),
    (
        "requests.exceptions.ProxyError: (MaxRetryError('HTTPSConnectionPool(host=\\'huggingface.co\\', port=443): Max retries exceeded with url: /api/models/x (Caused by ProxyError(\\'Unable to connect to proxy\\'))'), '(Request ID: 1)')",
        "DD201",
    ),
    (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Max retries exceeded (Caused by NewConnectionError)",
        None,
    ),
    (
        "HTTP Error 429 thrown while requesting HEAD https://huggingface.co/gpt2/resolve/main/config.json",
        None,
    ),
    (
        "huggingface_hub.errors.GatedRepoError: 403 Client Error. Cannot access gated repo for url https://huggingface.co/x/y/resolve/main/config.json.",
        "DD205",  # not an unreachable hub: a token problem
    ),
]


def scan_text(text: str | bytes) -> dict[str, list]:
    scanner = Scanner(RULES)
    data = text.encode() if isinstance(text, str) else text
    scanner.scan("<test>", io.BufferedReader(io.BytesIO(data)))
    found: dict[str, list] = {}
    for m in scanner.matches():
        found.setdefault(m.rule.code, []).append(m)
    return found


@pytest.mark.parametrize("line, code", TABLE)
def test_signature_table(line: str, code: str | None) -> None:
    found = scan_text(f"2026-01-01 12:00:00 [rank0]: {line}\n")
    assert list(found) == ([code] if code else [])


@pytest.mark.parametrize(
    "wrap",
    [
        "{}",
        "E       {}",
        "['{}']",
        "\x1b[31m{}\x1b[0m",
        "Traceback...\r\n{}\r\n",
        "epoch 3: 45%|####5     | 450/1000 [00:10<00:12]\r{}",
    ],
)
def test_forms_users_paste(wrap: str) -> None:
    found = scan_text(wrap.format(TLS) + "\n")
    [match] = found["DD101"]
    assert match.facts["library"].endswith("libgomp-d22c30c5.so.1.0.0")


def test_junk_never_crashes_and_lines_are_counted() -> None:
    junk = bytes(range(256)) * 64 + b"\xff\xfe\x00\x00invalid utf-8 \xc3\x28\n"
    text = junk * 3 + b"line\r\n" * 5 + TLS.encode() + b"\n" + junk + LOCK.encode() + b"\n"
    found = scan_text(text)
    tls_line = text[: text.index(TLS.encode())].count(b"\n") + 1
    assert found["DD101"][0].first_line == tls_line
    assert "DD302" in found


def test_a_huge_line_without_newline_is_scanned_in_bounded_memory() -> None:
    """100 MB on one line, generated lazily: memory must not grow with it."""

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.left = 100 << 20
            self.tail = (" " + TLS).encode()

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if self.left <= 0:
                data, self.tail = self.tail, b""
            else:
                n = min(len(buffer), self.left)
                data = b"x" * n
                self.left -= n
            buffer[: len(data)] = data
            return len(data)

    tracemalloc.start()
    scanner = Scanner(RULES)
    scanner.scan("<huge>", io.BufferedReader(Stream(), 1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [m.rule.code for m in scanner.matches()] == ["DD101"]
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"


@pytest.mark.parametrize(
    "signature", [s for r in RULES for s in r.signatures], ids=lambda s: s.hints[0][:24]
)
def test_no_catastrophic_backtracking(signature) -> None:
    """Each hint repeated with near-misses around it: matching must stay linear."""
    for hint in signature.hints[:12]:
        near_miss = (hint + "a" * 50 + "/" + "b" * 50 + ".so." + "'" * 3 + ": " + "x" * 40) * 2000
        long_path = "/" + "a/" * 200_000 + "lib.so" + ": " * 10
        for text in (near_miss, long_path + hint, (hint * 20_000)):
            start = time.perf_counter()
            scan_text(text + "\n")
            assert time.perf_counter() - start < 3.0, hint


HINT_CHARS = re.compile(r"[\w .\-/=@+#]+")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_hints_survive_normalisation(rule) -> None:
    """Hints hold no quotes, colons, commas or brackets: those are what full-width and curly
    forms replace, and the hint search runs on the raw bytes."""
    for signature in rule.signatures:
        for hint in signature.hints:
            assert HINT_CHARS.fullmatch(hint), hint


CORPUS = json.loads((Path(__file__).parents[1] / "data" / "catalogue-public.json").read_text())
NAMES = {r.name for r in RULES}


# Public lines too ambiguous alone to name one problem: each could come from several causes
# (a look-alike would then be claimed too). They must not be claimed by another rule either.
AMBIGUOUS = {
    "ModuleNotFoundError: No module named 'tensorflow'": "any missing module",
    " raise child_exception_type(errno_num, err_msg, err_filename)": "any program not found",
    "AttributeError: module 'datasets' has no attribute 'load_dataset'": "any missing attribute",
    "  error: command 'x86_64-linux-gnu-gcc' failed with exit status 1": "any compile error",
    'File "/root/.cache/bazel/_bazel_root/6bd2413cce69270a0469b5f108d9aa53/execroot/_main/'
    "bazel-out/linux_amd64-dbg/bin/tools/hf/hf.runfiles/rules_python++pip+huggingface_hub_311_"
    'huggingface_hub/site-packages/huggingface_hub/file_download.py", line 404, in http_get': (
        "any download's frame"
    ),
}


def test_public_corpus_lines_are_their_rule() -> None:
    """Every public error line whose rule exists is recognised as that rule (and only that)."""
    wrong = []
    for entry in CORPUS:
        if entry["error_text"] in AMBIGUOUS:
            found = {
                m.rule.name for ms in scan_text(entry["error_text"] + "\n").values() for m in ms
            }
            if found - {entry["rule"]}:
                wrong.append((entry["rule"], sorted(found), entry["error_text"][:120]))
        elif entry["rule"] in NAMES:
            found = {
                m.rule.name for ms in scan_text(entry["error_text"] + "\n").values() for m in ms
            }
            if found != {entry["rule"]}:
                wrong.append((entry["rule"], sorted(found), entry["error_text"][:120]))
    assert not wrong


def test_public_corpus_lines_of_missing_rules_are_not_taken_for_another() -> None:
    """A line whose rule is not built yet must not be claimed by a rule that is."""
    claimed = []
    for entry in CORPUS:
        if entry["rule"] not in NAMES:
            found = {
                m.rule.name for ms in scan_text(entry["error_text"] + "\n").values() for m in ms
            }
            claimed += [(entry["rule"], name) for name in found]
    assert not claimed


def test_gz_input_and_the_fix_command(cli: Runner, repo: Path, tmp_path: Path) -> None:
    lock = repo / ".git" / "index.lock"
    stale_lock(lock, b"")
    log = tmp_path / "job.log.gz"
    with gzip.open(log, "wt") as f:
        f.write(
            "training...\n" * 1000 + LOCK.replace("/work/repo/.git/index.lock", str(lock)) + "\n"
        )
    ran = cli("diagnose", str(log), "--format", "json")
    [match] = ran.json()["matches"]
    assert match["code"] == "DD302" and match["first_line"] == 1001
    assert match["fix_command"] == f"devdoctor fix git-stale-index-lock --from-log {log}"
    text = cli("diagnose", str(log)).out
    assert f"devdoctor fix git-stale-index-lock --from-log {log}" in text


def test_fix_from_log_command_works(cli: Runner, repo: Path, tmp_path: Path) -> None:
    lock = repo / ".git" / "index.lock"
    stale_lock(lock, b"")
    failed = subprocess.run(["git", "add", "README"], cwd=repo, capture_output=True, text=True)
    log = tmp_path / "ci.log"
    log.write_text(failed.stderr)
    command = cli("diagnose", str(log), "--format", "json").json()["matches"][0]["fix_command"]
    args = command.split()[1:]
    assert args[:2] == ["fix", "git-stale-index-lock"]
    ran = cli(*args, "--apply", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert not lock.exists()


# --- devdoctor run ----------------------------------------------------------------------------


def run_cmd(*command: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "devdoctor", "run", "--", *command],
        cwd=cwd,
        capture_output=True,
        timeout=300,
        check=False,
    )


def test_run_passes_output_and_exit_code_through(tmp_path: Path) -> None:
    ok = run_cmd("sh", "-c", "echo out; echo err >&2; exit 0", cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"out\n", b"err\n")
    bad = run_cmd("sh", "-c", "echo nothing known; exit 7", cwd=tmp_path)
    assert (
        bad.returncode == 7 and bad.stdout == b"nothing known\n" and b"devdoctor" not in bad.stderr
    )
    assert run_cmd("sh", "-c", "kill -TERM $$", cwd=tmp_path).returncode == 128 + 15


def test_run_diagnoses_a_failure_without_rerunning(repo: Path, tmp_path: Path) -> None:
    stale_lock(repo / ".git" / "index.lock")
    counter = tmp_path / "runs"
    script = f"echo x >> {counter}; git add README; exit 128"  # git's real error, then fail
    ran = run_cmd("sh", "-c", script, cwd=repo)
    assert ran.returncode == 128
    assert counter.read_text() == "x\n"  # ran once
    assert b"DD302 git-stale-index-lock" in ran.stderr
    assert b"devdoctor fix git-stale-index-lock --from-log" in ran.stderr


def test_run_with_200_mb_of_output(tmp_path: Path) -> None:
    code = (
        "import sys\nline = b'progress ' * 12 + b'\\n'\nfor _ in range(200 * 1024 * 1024 // "
        "len(line)):\n    sys.stdout.buffer.write(line)\nsys.stderr.write("
        + repr(TLS)
        + ")\nsys.exit(1)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "devdoctor", "run", "--", sys.executable, "-c", code],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    total = 0
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 20):
        total += len(chunk)
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.wait() == 1
    assert total >= 200 * 1024 * 1024 - 200
    assert b"DD101 static-tls" in err


def test_run_keeps_a_tty_a_tty(tmp_path: Path) -> None:
    """Under a pseudo-terminal the command still sees a terminal (colours, progress bars)."""
    import pty

    script = tmp_path / "probe.py"
    script.write_text("import sys; print('isatty', sys.stdout.isatty())\n")
    command = f"{sys.executable} -m devdoctor run -- {sys.executable} {script}"
    pid, fd = pty.fork()
    if pid == 0:  # child: run under the pty
        os.execvp("sh", ["sh", "-c", command])
    output = b""
    while True:
        try:
            data = os.read(fd, 1024)
        except OSError:
            break
        if not data:
            break
        output += data
    os.waitpid(pid, 0)
    assert b"isatty True" in output


@pytest.mark.parametrize(
    "line",
    [
        "requests.exceptions.ConnectTimeout: (MaxRetryError(\"HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with url: /bert-base-uncased/resolve/main/config.json (Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at 0x7f>, 'Connection to huggingface.co timed out. (connect timeout=10)'))\"), '(Request ID: 5c)')",
        "requests.exceptions.SSLError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with url: /api/models/gpt2 (Caused by SSLError(SSLEOFError(8, 'EOF occurred in violation of protocol (_ssl.c:1007)')))",
        "urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='cdn-lfs.huggingface.co', port=443): Read timed out.",
        "huggingface_hub.utils._errors.LocalEntryNotFoundError: Connection error, and we cannot find the requested files in the disk cache. Please try again or make sure your Internet connection is on.",
        "An error happened while trying to locate the file on the Hub and we cannot find the requested files in the local cache.",
        "ConnectionError: Couldn't reach https://huggingface.co/datasets/squad/resolve/main/squad.py (ConnectionError(MaxRetryError(...)))",
    ],
)
def test_more_hub_forms_from_bug_reports(line: str) -> None:
    assert list(scan_text(line + "\n")) == ["DD201"]


@pytest.mark.parametrize(
    "line",
    [
        "ConnectionError: Couldn't reach https://raw.githubusercontent.com/huggingface/datasets/1.18.0/datasets/squad/squad.py",
        "huggingface_hub.errors.HfHubHTTPError: 504 Server Error: Gateway Time-out for url: https://huggingface.co/api/models/gpt2",
        "huggingface_hub.errors.OfflineModeIsEnabled: Cannot reach https://huggingface.co/api/models/gpt2: offline mode is enabled.",
    ],
)
def test_hub_look_alikes_from_bug_reports(line: str) -> None:
    assert list(scan_text(line + "\n")) == []
