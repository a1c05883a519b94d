"""DD204: HF_ENDPOINT assigned after a hub import, found with ast, moved when safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fakehub
import pytest
from helpers import Runner, git

LATE = '''"""Train a model."""
from __future__ import annotations

import sys
from huggingface_hub import constants  # reads HF_ENDPOINT now
import os

os.environ["HF_ENDPOINT"] = "{endpoint}"
'''

FORMS = [
    'os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"',
    'os.environ.setdefault("HF_ENDPOINT", "https://hf-mirror.com")',
    'os.environ.update({"HF_ENDPOINT": "https://hf-mirror.com"})',
    'os.environ.update(HF_ENDPOINT="https://hf-mirror.com")',
    'os.putenv("HF_ENDPOINT", "https://hf-mirror.com")',
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("module", ["huggingface_hub", "datasets", "peft.tuners", "timm"])
def test_every_form_after_every_hub_import(cli: Runner, repo: Path, form: str, module: str) -> None:
    (repo / "app.py").write_text(f"import os\nimport {module}\n\n{form}\n")
    git(repo, "add", "app.py")
    doc = cli("check", "DD204", "--format", "json", cwd=repo).json()
    [diag] = doc["results"][0]["diagnostics"]
    assert diag["status"] == "fail" and f"{repo / 'app.py'}:4" in diag["message"]
    assert diag["facts"]["module"] == module


def test_set_before_import_or_in_a_function_passes(cli: Runner, repo: Path) -> None:
    (repo / "ok.py").write_text(
        'import os\nos.environ["HF_ENDPOINT"] = "x"\nimport transformers\n'
        'def later():\n    os.environ["HF_ENDPOINT"] = "y"\n'
    )
    (repo / "other.py").write_text('import torch\nos.environ["HF_ENDPOINT"] = "z"\n')
    (repo / "broken.py").write_text("def (:\n  HF_ENDPOINT\n")
    git(repo, "add", ".")
    assert cli("check", "DD204", cwd=repo).code == 0


def test_move_fix_really_changes_the_endpoint_seen(cli: Runner, repo: Path, tmp_path: Path) -> None:
    script = repo / "train.py"
    with fakehub.hub() as hub:
        script.write_text(LATE.format(endpoint=fakehub.url(hub)) + "print(constants.ENDPOINT)\n")
        git(repo, "add", "train.py")
        before = script.read_bytes()

        def endpoint_seen() -> str:
            return subprocess.run(
                [sys.executable, str(script)],
                capture_output=True,
                text=True,
                check=True,
                env={"PATH": "/usr/bin:/bin"},
            ).stdout.strip()

        assert endpoint_seen() == "https://huggingface.co"  # the late assignment is ignored
        ran = cli("fix", "DD204", "--apply", cwd=repo)
        assert ran.code == 0, ran.out + ran.err
        assert "Move the HF_ENDPOINT assignment above `import huggingface_hub`: fixed" in ran.out
        assert endpoint_seen() == fakehub.url(hub)
        assert cli("undo", "--yes").code == 0
        assert script.read_bytes() == before


def test_unsafe_moves_are_display_only(cli: Runner, repo: Path) -> None:
    (repo / "cfg.py").write_text(
        'import os\nimport transformers\nos.environ["HF_ENDPOINT"] = os.getenv("MY_MIRROR", "x")\n'
    )
    git(repo, "add", "cfg.py")
    [diag] = cli("check", "DD204", "--format", "json", cwd=repo).json()["results"][0]["diagnostics"]
    assert diag["fix"]["applicability"] == "display-only"


EXACT_CASES = {
    # a form feed between sections: str.splitlines() would count one line too many
    "form-feed": (
        b"import os\nimport transformers\n\x0c\nx = 1\n"
        b'os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\ny = 2\n',
        b'import os\nos.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\n'
        b"import transformers\n\x0c\nx = 1\ny = 2\n",
    ),
    # other characters str.splitlines() treats as line breaks, inside a string
    "separators": (
        b'import os\nimport datasets\nNOTE = "a\xc2\x85b\xe2\x80\xa8c\x1cd"\n'
        b'os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\n',
        b'import os\nos.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\n'
        b'import datasets\nNOTE = "a\xc2\x85b\xe2\x80\xa8c\x1cd"\n',
    ),
    # latin-1 with a coding cookie stays latin-1
    "latin-1": (
        b"# -*- coding: latin-1 -*-\nimport os\nimport timm\nNAME = 'caf\xe9'\n"
        b'os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\n',
        b'# -*- coding: latin-1 -*-\nimport os\nos.environ["HF_ENDPOINT"] = '
        b"\"https://hf-mirror.com\"\nimport timm\nNAME = 'caf\xe9'\n",
    ),
    # Windows line endings stay Windows line endings, the added `import os` included
    "crlf": (
        b'import peft\r\nimport os\r\nos.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\r\n',
        b'import os\r\nos.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\r\n'
        b"import peft\r\nimport os\r\n",
    ),
    # a BOM stays, and a last line without a newline is moved whole
    "bom-no-final-newline": (
        b"\xef\xbb\xbfimport os\nimport transformers\n"
        b'os.environ["HF_ENDPOINT"] = "https://hf-mirror.com"',
        b'\xef\xbb\xbfimport os\nos.environ["HF_ENDPOINT"] = "https://hf-mirror.com"\n'
        b"import transformers\n",
    ),
}


@pytest.mark.parametrize("case", EXACT_CASES, ids=str)
def test_the_move_is_byte_exact(cli: Runner, repo: Path, case: str) -> None:
    before, expected = EXACT_CASES[case]
    script = repo / "train.py"
    script.write_bytes(before)
    git(repo, "add", "train.py")
    ran = cli("fix", "DD204", "--apply", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert script.read_bytes() == expected
    assert cli("undo", "--yes", cwd=repo).code == 0
    assert script.read_bytes() == before
