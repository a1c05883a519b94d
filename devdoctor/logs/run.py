"""`devdoctor run -- CMD`: run a command with its output passed through live and keep a bounded
tail for the diagnosis (cli/run_command.py diagnoses it; the command never runs twice).

On a terminal the command gets a pseudo-terminal, so it still sees a TTY (colours, progress
bars); otherwise its stdout and stderr are relayed separately. Ctrl-C reaches it: it stays in
devdoctor's process group, and devdoctor ignores SIGINT while it waits.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devdoctor.errors import CommandNotRun, UsageError

TAIL_BYTES = 4 << 20  # what is kept for the diagnosis
READ = 1 << 20


class Tail:
    """The last TAIL_BYTES of output, in chunks (no copying per write)."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self.lock:
            self.chunks.append(data)
            self.size += len(data)
            while self.size - len(self.chunks[0]) >= self.limit:
                self.size -= len(self.chunks.popleft())

    def bytes(self) -> bytes:
        with self.lock:
            return b"".join(self.chunks)[-self.limit :]


def _relay(fd: int, out: int, tail: Tail) -> None:
    """Copy one file descriptor to another until EOF (or EIO: a pty whose child left), keeping
    the tail. Unbuffered: what the command prints appears at once."""
    while True:
        try:
            data = os.read(fd, READ)
        except OSError:
            break
        if not data:
            break
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(out, view) :]
            except OSError:  # our own output is gone (a closed pipe): keep draining the child
                break
        tail.add(data)


def _bigger_pipe(fd: int) -> None:
    """Fewer, larger reads: a 1 MiB pipe buffer (Linux) instead of 64 KiB."""
    with contextlib.suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    relays: list[threading.Thread]
    fds: list[int]  # closed when done


def _start(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _with_pty(argv: Sequence[str], tail: Tail) -> Running:
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    with contextlib.suppress(OSError):  # the same size as our terminal: progress bars fit
        size = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
    proc = subprocess.Popen(list(argv), stdout=slave, stderr=slave)
    os.close(slave)

    def resize(*_: object) -> None:
        with contextlib.suppress(OSError):
            fcntl.ioctl(
                master,
                termios.TIOCSWINSZ,
                fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8),
            )

    signal.signal(signal.SIGWINCH, resize)
    return Running(proc, [_start(_relay, master, sys.stdout.fileno(), tail)], [master])


def _with_pipes(argv: Sequence[str], tail: Tail) -> Running:
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    for pipe in (proc.stdout, proc.stderr):
        _bigger_pipe(pipe.fileno())
    relays = [
        _start(_relay, proc.stdout.fileno(), sys.stdout.fileno(), tail),
        _start(_relay, proc.stderr.fileno(), sys.stderr.fileno(), tail),
    ]
    return Running(proc, relays, [])


def execute(argv: Sequence[str]) -> tuple[int, bytes]:
    """Run the command with its output relayed live: (its exit code, the tail of its output)."""
    if not argv:
        raise UsageError("usage: devdoctor run -- CMD [ARGS...]")
    tail = Tail()
    try:
        running = (_with_pty if sys.stdout.isatty() else _with_pipes)(argv, tail)
    except FileNotFoundError:
        raise CommandNotRun(f"{argv[0]}: command not found", 127) from None
    except PermissionError:
        raise CommandNotRun(f"{argv[0]}: permission denied", 126) from None
    except OSError as exc:  # not an executable format, too many arguments, ...
        raise CommandNotRun(f"{argv[0]}: cannot run: {exc.strerror or exc}", 126) from None
    # After the child started (it must not inherit SIG_IGN): Ctrl-C goes to the whole process
    # group, so the command gets it; devdoctor waits for it to finish. Other signals are passed on.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: running.proc.send_signal(s))
    try:
        code = running.proc.wait()
        for thread in running.relays:
            thread.join()
    finally:
        signal.signal(signal.SIGINT, previous)
        for fd in running.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    exit_code = 128 - code if code < 0 else code
    return exit_code, tail.bytes()
