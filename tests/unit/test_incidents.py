# ruff: noqa: RUF001 -- full-width and curly punctuation is what these tests are about
"""Text as pasted (normalise.py), where one error's text begins and ends (incidents.py), and the
existing rules' signatures in the forms users paste them."""

from __future__ import annotations

import io
import json
import platform
from pathlib import Path

import pytest
from helpers import Runner

from devdoctor.core.registry import load
from devdoctor.logs.incidents import bounds
from devdoctor.logs.normalise import views
from devdoctor.logs.prefilter import Hints
from devdoctor.logs.scanner import Scanner

RULES = load().rules


def found(text: str) -> list[tuple[str, int]]:
    scanner = Scanner(RULES)
    scanner.scan("<paste>", io.BufferedReader(io.BytesIO(text.encode())))
    return [(m.rule.name, m.first_line) for m in scanner.matches()]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("OSError：［Errno 101］ “x”，‘y’", ["OSError:[Errno 101] \"x\",'y'"]),
        ("\x1b[31mred\x1b[0m\u200b text", ["red text"]),
        ("45%|####  \rdone", ["45%|####  ", "done"]),
        ("line\r", ["line"]),
        (
            '{"m": "a\\nb \\/x\\/y \\u2019q\\u2019"}',
            ['{"m": "a\\nb \\/x\\/y \\u2019q\\u2019"}', '{"m": "a', "b /x/y 'q'\"}"],
        ),
        (
            "C:\\\\Users\\\\new",
            ["C:\\\\Users\\\\new", "C:\\Users\\new"],
        ),  # escaped once: not a newline
        ("   ", []),
    ],
)
def test_views(raw: str, expected: list[str]) -> None:
    assert views(raw.encode()) == expected


TB = [
    "Traceback (most recent call last):",
    '  File "a.py", line 1, in <module>',
    "OSError: first",
    "",
    "During handling of the above exception, another exception occurred:",
    "",
    "Traceback (most recent call last):",
    '  File "b.py", line 2, in <module>',
    "RuntimeError: second",
]


def test_a_chained_traceback_is_one_incident() -> None:
    assert bounds(TB, 2) == (0, 9)
    assert bounds(TB, 8) == (0, 9)


def test_separate_tracebacks_are_separate() -> None:
    lines = [*TB[:3], "", "$ python b.py", *TB[6:]]
    assert bounds(lines, 2) == (0, 3)
    assert bounds(lines, 7) == (5, 8)
    back_to_back = TB[:3] + TB[6:]
    assert bounds(back_to_back, 5) == (3, 6)


def test_outside_a_traceback_context_is_near() -> None:
    lines = [f"step {i}" for i in range(100)]
    assert bounds(lines, 50) == (42, 59)


TLS = (
    "/opt/env/lib/python3.10/site-packages/scikit_learn.libs/libgomp-d22c30c5.so.1.0.0: "
    "cannot allocate memory in static TLS block"
)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(
            {"level": "error", "msg": f"Traceback (most recent call last):\nImportError: {TLS}"}
        ),
        f"ImportError：{TLS}",
        repr(f"ImportError('{TLS}')"),
    ],
    ids=["json log with a traceback", "full-width colon", "repr"],
)
def test_static_tls_as_pasted(text: str) -> None:
    assert found(text + "\n") == [("static-tls", 1)]


@pytest.mark.parametrize(
    "line",
    [
        "fatal: Unable to create '/repo/.git/index.lock': File exists.",
        "fatal: Konnte '/repo/.git/index.lock' nicht erstellen: Datei existiert bereits.",
        "fatal: 无法创建 '/repo/.git/index.lock'：文件已存在。",
        "fatal: Не удалось создать «/repo/.git/index.lock»: Файл существует.",
        "fatal: Impossible de créer '/repo/.git/worktrees/wt/index.lock' : Le fichier existe.",
        "fatal: Unable to create ‘/repo/.git/index.lock’: File exists.",
    ],
)
def test_index_lock_in_any_language(line: str) -> None:
    assert found(line + "\n") == [("git-stale-index-lock", 1)]


@pytest.mark.parametrize(
    "line",
    [
        "hint: remove .git/index.lock and try again",
        "error: unable to unlink '.git/index.lock': Permission denied",
        "fatal: Unable to create '/repo/.git/shallow.lock': File exists.",
    ],
)
def test_index_lock_look_alikes(line: str) -> None:
    assert found(line + "\n") == []


def test_possible_findings_exit_0_unless_strict(cli: Runner, tmp_path) -> None:
    log = tmp_path / "out.log"
    log.write_text(
        "OSError: Can't load config for 'my-model'. If you were trying to load it from "
        "'https://huggingface.co/models', make sure you don't have a local directory with the "
        "same name.\n"
    )
    ran = cli("diagnose", str(log), "--format", "json")
    [match] = ran.json()["matches"]
    assert ran.code == 0 and match["certainty"] == "possible" and match["fix"] is None
    assert "local folder named my-model" in match["to_tell"]
    assert cli("diagnose", str(log), "--strict").code == 1
    text = cli("diagnose", str(log)).out
    assert "possibly" in text and "to tell:" in text


def test_the_pure_python_path_finds_the_same_hints() -> None:
    """Where Hyperscan has no wheel, the fallback gives the same answers (slower)."""
    texts = sorted({h for r in RULES for s in r.signatures for h in s.hints})
    fast, slow = Hints(texts), Hints(texts, accelerated=False)
    if platform.machine() in ("x86_64", "AMD64", "aarch64", "arm64"):  # a dependency there
        assert fast.engine == "hyperscan"
    assert slow.engine == "python"
    corpus = json.loads((Path(__file__).parents[1] / "data" / "catalogue-public.json").read_text())
    samples = [e["error_text"].encode() for e in corpus]
    samples += [b"", b"\x00\xff" * 100, "NETWORK IS UNREACHABLE ［Errno 101］".encode()]
    for sample in samples:
        assert sorted(fast.present(sample)) == sorted(slow.present(sample)), sample
