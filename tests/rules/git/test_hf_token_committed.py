"""DD304 hf-token-committed on real repositories: staged blobs, never the token on screen."""

from __future__ import annotations

from pathlib import Path

from helpers import Runner, git

TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
ORG_TOKEN = "api_org_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa76543210"


def check(cli: Runner, repo: Path):
    ran = cli("check", "hf-token-committed", "--format", "json", cwd=repo)
    assert TOKEN not in ran.out + ran.err and ORG_TOKEN not in ran.out + ran.err
    return ran.json()["results"][0]


def test_a_staged_token_fails_with_file_and_line(cli: Runner, repo: Path) -> None:
    (repo / "download.py").write_text(f'import os\n\n\nTOKEN = "{TOKEN}"\n')
    (repo / "org.cfg").write_text(f"token={ORG_TOKEN}\n")
    git(repo, "add", "download.py", "org.cfg")
    result = check(cli, repo)
    assert result["status"] == "fail"
    found = {d["facts"]["file"]: d["facts"]["lines"] for d in result["diagnostics"]}
    assert found == {"download.py": [4], "org.cfg": [1]}
    text = cli("check", "hf-token-committed", cwd=repo)
    assert "download.py:4: a Hugging Face token (hf_***) in what git would commit" in text.out
    assert "org.cfg:1: a Hugging Face token (api_org_***)" in text.out
    assert TOKEN not in text.out


def test_only_the_staged_content_counts(cli: Runner, repo: Path) -> None:
    script = repo / "download.py"
    script.write_text("TOKEN = os.environ['HF_TOKEN']\n")
    git(repo, "add", "download.py")
    script.write_text(f'TOKEN = "{TOKEN}"\n')  # not staged: not part of the commit
    assert check(cli, repo)["status"] == "pass"


def test_the_ignore_comment_and_lookalikes(cli: Runner, repo: Path) -> None:
    (repo / "test_auth.py").write_text(
        f'FAKE = "{TOKEN}"  # devdoctor: ignore[DD304]\n'
        f'LONGER = "{TOKEN}x"\n'  # 35 characters: not a token
        f'PART = "my{TOKEN}"\n'  # inside another word
        'SHORT = "hf_abc"\n'
    )
    git(repo, "add", "test_auth.py")
    assert check(cli, repo)["status"] == "pass"


def test_binary_files_are_not_scanned(cli: Runner, repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"\0\1\2" + TOKEN.encode() + b"\0")
    git(repo, "add", "blob.bin")
    assert check(cli, repo)["status"] == "pass"


def test_the_redactor_masks_what_the_rule_finds(cli: Runner, repo: Path) -> None:
    """One definition of a token: what DD304 flags, every output masks."""
    from devdoctor.redact import Redactor

    assert Redactor({}).text(f"x {TOKEN} {ORG_TOKEN}") == "x *** ***"
