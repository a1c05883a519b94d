"""DD301 on real repositories with a bare remote, hermetic git config and fixed dates."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import psutil
import pytest
from devdoctor.rules.git._history import RewriteEdit
from helpers import GIT_ENV, Runner, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devdoctor.api import Context, Status
from devdoctor.core.git import rev
from devdoctor.core.git import version as git_version
from devdoctor.core.registry import load

RULE = load().find("DD301")
assert RULE is not None
BOB = {"GIT_AUTHOR_NAME": "Bob Helper", "GIT_AUTHOR_EMAIL": "bob@example.com"}


def commit(
    repo: Path, name: str, text: str, message: str, env: dict[str, str] | None = None
) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    subprocess.run(["git", "add", name], cwd=repo, check=True)
    subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=repo,
        check=True,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A bare remote, alice on main, and dev on a messy, partly pushed npu_support branch;
    then alice moves main on and dev fetches."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    alice, dev = tmp_path / "alice", tmp_path / "dev"
    git(tmp_path, "clone", "-q", str(remote), str(alice))
    commit(alice, "README", "hello\n", "Initial commit")
    git(alice, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(remote), str(dev))
    git(dev, "switch", "-q", "-c", "npu_support")
    commit(dev, "src/npu.py", "A = 1\n", "Add npu device enum")
    commit(dev, "src/npu.py", "A = 1\nB = 2\n", "WIP")
    commit(dev, "src/npu.py", "A = 1\nB = 2\nC = 3\n", ".")
    git(dev, "push", "-q", "-u", "origin", "npu_support")
    commit(dev, "src/npu.py", "A = 10\nB = 2\nC = 3\n", "fixup! Add npu device enum")
    commit(dev, "debug.txt", "x\n", "tmp debug print", BOB)
    subprocess.run(["git", "rm", "-q", "debug.txt"], cwd=dev, check=True)
    subprocess.run(["git", "commit", "-q", "-m", 'Revert "tmp debug print"'], cwd=dev, check=True)
    commit(alice, "src/version.py", "V = 2\n", "Add version module")
    git(alice, "push", "-q", "origin", "main")
    git(dev, "fetch", "-q")
    return {"remote": remote, "alice": alice, "dev": dev, "tmp": tmp_path}


def dd301(cli: Runner, repo: Path, *args: str) -> dict:
    ran = cli("check", "DD301", "--format", "json", *args, cwd=repo)
    return ran.json()["results"][0]


def refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


# --- detection --------------------------------------------------------------------------------


def test_messy_branch_is_found_against_the_merge_base(cli: Runner, world: dict[str, Path]) -> None:
    dev = world["dev"]
    result = dd301(cli, dev)
    facts = result["diagnostics"][0]["facts"]
    assert result["status"] == "fail"  # a fixup! marker
    assert facts["base"] == git(dev, "merge-base", "HEAD", "origin/main")
    assert facts["base"] != git(dev, "rev-parse", "origin/main")  # main moved on: not its tip
    assert facts["ahead"] == 6
    assert facts["fixups"] == ["fixup! Add npu device enum"]
    assert facts["low_information"] == ["WIP", ".", "tmp debug print"]
    assert facts["revert_pairs"] == ["tmp debug print"]


def test_clean_branch_and_default_branch_pass(cli: Runner, world: dict[str, Path]) -> None:
    alice = world["alice"]
    assert dd301(cli, alice)["status"] == "pass"  # on main
    git(alice, "switch", "-q", "-c", "feature")
    commit(alice, "f.py", "x = 1\n", "Add the feature module")
    commit(alice, "g.py", "y = 1\n", "Document the feature module")
    assert dd301(cli, alice)["status"] == "pass"


def test_skips(cli: Runner, world: dict[str, Path], tmp_path: Path) -> None:
    dev = world["dev"]
    git(dev, "checkout", "-q", "--detach")
    assert "detached" in dd301(cli, dev)["diagnostics"][0]["message"]
    lonely = tmp_path / "lonely"
    git(tmp_path, "init", "-q", str(lonely))
    commit(lonely, "a", "a\n", "first")
    assert "no remote default branch" in dd301(cli, lonely)["diagnostics"][0]["message"]
    assert dd301(cli, tmp_path)["status"] == "skip"  # not a repository


# --- preview and apply ------------------------------------------------------------------------


def test_preview_changes_nothing(cli: Runner, world: dict[str, Path]) -> None:
    dev = world["dev"]
    before = refs(dev), git(dev, "status", "--porcelain")
    ran = cli("fix", "DD301", "-m", "[HardWare]Add NPU Support", cwd=dev)
    assert "merge-base of HEAD with origin/main" in ran.out
    assert "whole-branch squash (rewrites pushed commits: force push)" in ran.out
    assert "Co-authored-by: Bob Helper <bob@example.com>" in ran.out
    assert "--force-with-lease=refs/heads/npu_support:" in ran.out and "fixup! Add npu" in ran.out
    assert (refs(dev), git(dev, "status", "--porcelain")) == before


def test_squash_sits_on_the_merge_base_and_undo_restores(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev = world["dev"]
    (dev / "scratch.txt").write_text("untracked\n")
    (dev / "README").write_text("hello\nunstaged edit\n")
    old_head, old_tree = git(dev, "rev-parse", "HEAD"), git(dev, "rev-parse", "HEAD^{tree}")
    base = git(dev, "merge-base", "HEAD", "origin/main")
    before = refs(dev)
    ran = cli("fix", "DD301", "--apply", "--yes", "-m", "[HardWare]Add NPU Support", cwd=dev)
    assert ran.code == 0, ran.out + ran.err
    assert "Squash 6 commits into one: fixed" in ran.out
    assert git(dev, "rev-parse", "HEAD^{tree}") == old_tree
    assert git(dev, "rev-list", "--parents", "-n1", "HEAD").split()[1:] == [base]
    assert git(dev, "diff", "--name-only", base, "HEAD").split() == ["src/npu.py"]  # only ours
    message = git(dev, "log", "-1", "--format=%B")
    assert message.startswith("[HardWare]Add NPU Support")
    assert "Co-authored-by: Bob Helper <bob@example.com>" in message
    assert (dev / "scratch.txt").read_text() == "untracked\n"
    assert (dev / "README").read_text() == "hello\nunstaged edit\n"
    [backup] = git(dev, "for-each-ref", "--format=%(objectname)", "refs/devdoctor/backup").split()
    assert backup == old_head
    assert dd301(cli, dev)["status"] == "pass"
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] != git(
        dev, "rev-parse", "HEAD"
    )  # no push

    assert cli("undo", "--yes", cwd=dev).code == 0
    assert git(dev, "rev-parse", "HEAD") == old_head
    restored = refs(dev).splitlines()
    assert [r for r in restored if "devdoctor" not in r] == before.splitlines()
    assert any(r.startswith("refs/devdoctor/backup/") for r in restored)  # backups stay


def test_push_with_lease_and_a_collaborator_push_is_rejected(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev, tmp = world["dev"], world["tmp"]
    ran = cli("fix", "DD301", "--apply", "--yes", "--push", "-m", "Add NPU support", cwd=dev)
    assert ran.code == 0, ran.out + ran.err
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] == git(
        dev, "rev-parse", "HEAD"
    )
    # a collaborator pushes to the branch; dev rewrites again without fetching
    carol = tmp / "carol"
    git(tmp, "clone", "-q", "-b", "npu_support", str(world["remote"]), str(carol))
    commit(carol, "src/carol.py", "c = 1\n", "Add carol's part")
    git(carol, "push", "-q", "origin", "npu_support")
    carol_tip = git(carol, "rev-parse", "HEAD")
    commit(dev, "src/npu.py", "A = 11\n", "WIP")
    commit(dev, "src/npu.py", "A = 12\n", "fixup! Add NPU support")
    squashed = cli("fix", "DD301", "--apply", "--yes", "--push", "-m", "Add NPU support", cwd=dev)
    assert squashed.code == 1
    assert "not pushed: origin's npu_support has commits your branch does not" in squashed.out
    assert "Add carol's part (Test Author)" in squashed.out
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] == carol_tip
    assert git(dev, "log", "-1", "--format=%s") == "Add NPU support"  # the local squash stays


def test_a_fetched_collaborator_commit_is_not_overwritten(
    cli: Runner, world: dict[str, Path]
) -> None:
    """After an ordinary fetch the lease names the collaborator's commit and passes; devdoctor
    must still refuse, because that commit is not in what the squash replaces."""
    dev, tmp = world["dev"], world["tmp"]
    carol = tmp / "carol"
    git(tmp, "clone", "-q", "-b", "npu_support", str(world["remote"]), str(carol))
    commit(carol, "src/carol.py", "c = 1\n", "Add carol's part")
    git(carol, "push", "-q", "origin", "npu_support")
    carol_tip = git(carol, "rev-parse", "HEAD")
    git(dev, "fetch", "-q")  # an IDE does this in the background
    old_head = git(dev, "rev-parse", "HEAD")
    ran = cli("fix", "DD301", "--apply", "--yes", "--push", "-m", "X", cwd=dev)
    assert ran.code == 1, ran.out + ran.err
    assert "which the push would delete" in ran.out and "Add carol's part" in ran.out
    assert "git pull --rebase origin npu_support" in ran.out
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] == carol_tip
    assert cli("undo", "--yes", cwd=dev).code == 0
    assert git(dev, "rev-parse", "HEAD") == old_head


def test_the_undo_hint_puts_the_remote_back_exactly(cli: Runner, world: dict[str, Path]) -> None:
    """dev has commits the remote never had: the hint restores the remote's tip, not dev's."""
    dev = world["dev"]
    remote_before = git(dev, "ls-remote", "origin", "npu_support").split()[0]
    assert remote_before != git(dev, "rev-parse", "HEAD")
    ran = cli("fix", "DD301", "--apply", "--yes", "--push", "-m", "Add NPU support", cwd=dev)
    assert ran.code == 0, ran.out + ran.err
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] != remote_before
    listing = cli("fix", "DD301", "--push", "-m", "x", cwd=dev)  # nothing to do now
    assert listing.code == 0
    undo = cli("undo", "--yes", cwd=dev)
    assert undo.code == 0, undo.out + undo.err
    hint = next(line for line in undo.out.splitlines() if "put the remote back with:" in line)
    subprocess.run(
        hint.split("put the remote back with: ", 1)[1].rstrip(")"),
        shell=True,
        cwd=dev,
        check=True,
        capture_output=True,
    )
    assert git(dev, "ls-remote", "origin", "npu_support").split()[0] == remote_before


@pytest.mark.parametrize(
    "setup, reason",
    [
        ("staged", "staged changes"),
        ("merge", "a merge is in progress"),
        ("protected", "protected branch"),
    ],
)
def test_refusals_change_nothing(
    cli: Runner, world: dict[str, Path], setup: str, reason: str
) -> None:
    dev = world["dev"]
    if setup == "staged":
        (dev / "README").write_text("staged\n")
        git(dev, "add", "README")
    elif setup == "merge":
        git(dev, "switch", "-q", "-c", "side", "HEAD~5")
        commit(dev, "src/npu.py", "conflict\n", "Conflicting change")
        git(dev, "switch", "-q", "npu_support")
        conflicted = subprocess.run(["git", "merge", "-q", "side"], cwd=dev, capture_output=True)
        assert conflicted.returncode != 0  # stopped with MERGE_HEAD and a conflict
    else:
        git(dev, "branch", "-q", "-m", "release/1.0")
    before = refs(dev)
    ran = cli("fix", "DD301", "--apply", "--yes", cwd=dev)
    assert ran.code == 1 and reason in ran.out, ran.out
    assert refs(dev) == before


def test_shallow_clone_and_detached_head_refuse(cli: Runner, world: dict[str, Path]) -> None:
    tmp = world["tmp"]
    shallow = tmp / "shallow"
    git(tmp, "clone", "-q", "--depth", "1", f"file://{world['remote']}", str(shallow))
    git(shallow, "switch", "-q", "-c", "wip")
    commit(shallow, "a.py", "1\n", "WIP")
    commit(shallow, "a.py", "2\n", "fixup! WIP")
    ran = cli("fix", "DD301", "-m", "Finish NPU", "--apply", "--yes", cwd=shallow)
    assert ran.code == 1 and "shallow clone" in ran.out
    git(world["dev"], "checkout", "-q", "--detach")
    ran = cli("fix", "DD301", "-m", "Finish NPU", "--apply", "--yes", cwd=world["dev"])
    assert ran.code == 1 and "detached" in ran.out


def test_autosquash_when_only_fixups(cli: Runner, world: dict[str, Path]) -> None:
    alice = world["alice"]
    git(alice, "switch", "-q", "-c", "tidy")
    commit(alice, "lib.py", "x = 1\n", "Add the lib module")
    commit(alice, "doc.md", "docs\n", "Document the lib module")
    commit(alice, "lib.py", "x = 2\n", "fixup! Add the lib module")
    old = git(alice, "rev-parse", "HEAD")
    preview = cli("fix", "DD301", cwd=alice)
    assert "Fold fixup! commits (git rebase --autosquash)" in preview.out
    assert "alternative 1 (unsafe): Squash 3 commits into one" in preview.out
    ran = cli("fix", "DD301", "--apply", "--yes", cwd=alice)
    assert ran.code == 0, ran.out + ran.err
    assert git(alice, "log", "--format=%s", "origin/main..HEAD").splitlines() == [
        "Document the lib module",
        "Add the lib module",
    ]
    assert git(alice, "show", "HEAD~1:lib.py") == "x = 2"
    assert cli("undo", "--yes", cwd=alice).code == 0
    assert git(alice, "rev-parse", "HEAD") == old


def test_unpushed_only_keeps_pushed_commits(cli: Runner, world: dict[str, Path]) -> None:
    dev = world["dev"]
    pushed = git(dev, "rev-parse", "origin/npu_support")
    preview = cli("fix", "DD301", "-m", "Finish NPU", "--unpushed-only", cwd=dev)
    assert "squash of commits not pushed yet (no force push)" in preview.out
    assert "git push origin refs/heads/npu_support:refs/heads/npu_support" in preview.out
    ran = cli("fix", "DD301", "--unpushed-only", "--apply", "--yes", "-m", "Finish NPU", cwd=dev)
    assert ran.code == 0, ran.out + ran.err
    assert git(dev, "rev-parse", "HEAD~1") == pushed


def test_every_repo_is_closed(world: dict[str, Path]) -> None:
    """No `git cat-file` child outlives a check or an apply done in this process."""
    dev = world["dev"]
    ctx = Context(dev, dict(os.environ), fix_option_values={"message": "Add NPU support"})
    [diag] = list(RULE.check(ctx, RULE.settings()))
    assert diag.status is Status.FAIL and diag.fix is not None
    [edit] = diag.fix.edits
    effective = edit.apply()
    effective.inverse().apply()
    assert rev(dev, "HEAD") == edit.before
    children = [p.cmdline() for p in psutil.Process().children(recursive=True)]
    assert not [c for c in children if c[:1] == ["git"]], children


# --- property: any branch history -------------------------------------------------------------

OPS = st.lists(
    st.sampled_from(["edit", "add", "rename", "binary", "empty", "merge_main", "gitlink"]),
    min_size=2,
    max_size=8,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, seed=st.integers(0, 10_000))
def test_squash_keeps_the_tree_and_undo_is_exact(
    tmp_path_factory: pytest.TempPathFactory, ops: list[str], seed: int
) -> None:
    root = tmp_path_factory.mktemp("prop")
    env = {**os.environ, **GIT_ENV}
    remote = root / "remote.git"
    git(root, "init", "-q", "--bare", str(remote))
    repo = root / "repo"
    git(root, "clone", "-q", str(remote), str(repo))
    commit(repo, "base.txt", "base\n", "Initial commit")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "switch", "-q", "-c", "feature")
    for n, op in enumerate(ops):
        tag = f"{seed}-{n}"
        if op == "edit":
            commit(repo, "base.txt", f"base {tag}\n", f"Edit {tag}")
        elif op == "add":
            commit(repo, f"dir/f{tag}.txt", f"{tag}\n", f"Add {tag}")
        elif op == "rename" and (repo / "base.txt").exists():
            git(repo, "mv", "base.txt", f"moved{tag}.txt")
            git(repo, "commit", "-q", "-m", f"Rename {tag}")
        elif op == "binary":
            (repo / f"b{tag}.bin").write_bytes(bytes(range(256)) * (1 + seed % 5))
            git(repo, "add", f"b{tag}.bin")
            git(repo, "commit", "-q", "-m", f"Binary {tag}")
        elif op == "empty":
            git(repo, "commit", "-q", "--allow-empty", "-m", f"Empty {tag}")
        elif op == "gitlink":
            sha = git(repo, "rev-parse", "HEAD")
            git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},sub")
            git(repo, "commit", "-q", "-m", f"Submodule pointer {tag}")
        elif op == "merge_main":
            git(repo, "switch", "-q", "main")
            commit(repo, f"main{tag}.txt", "main\n", f"Main work {tag}")
            git(repo, "push", "-q", "origin", "main")
            git(repo, "switch", "-q", "feature")
            git(repo, "fetch", "-q")
            subprocess.run(
                ["git", "merge", "-q", "--no-edit", "origin/main"],
                cwd=repo,
                env=env,
                check=True,
                capture_output=True,
            )
    old_head, old_tree = rev(repo, "HEAD"), git(repo, "rev-parse", "HEAD^{tree}")
    status = git(repo, "status", "--porcelain")
    base = git(repo, "merge-base", "HEAD", "origin/main")
    if base == old_head:
        return  # nothing on the branch
    edit = RewriteEdit(
        repo,
        "feature",
        old_head,
        base,
        "squash",
        "Squashed\n",
        f"refs/devdoctor/backup/feature/{seed}",
    )
    assert edit.conflict() is None
    effective = edit.apply()
    assert git(repo, "rev-parse", "HEAD^{tree}") == old_tree
    assert git(repo, "rev-list", "--parents", "-n1", "HEAD").split()[1:] == [base]
    assert rev(repo, f"refs/devdoctor/backup/feature/{seed}") == old_head
    effective.inverse().apply()
    assert rev(repo, "HEAD") == old_head
    assert git(repo, "status", "--porcelain") == status  # index and work tree as they were


@pytest.mark.parametrize("unpushed_only", [True, False])
def test_the_push_shown_is_the_push_run(
    cli: Runner, world: dict[str, Path], tmp_path: Path, unpushed_only: bool
) -> None:
    """One function builds the push: the preview prints exactly the arguments git receives."""
    dev = world["dev"]
    flags = ["--push", *(["--unpushed-only"] if unpushed_only else [])]
    preview = cli("fix", "DD301", "-m", "Finish NPU", *flags, cwd=dev)
    shown = next(line.split(": ", 1)[1] for line in preview.out.splitlines() if "git push" in line)
    trace = tmp_path / "trace"
    ran = cli(
        "fix",
        "DD301",
        *flags,
        "--apply",
        "--yes",
        "-m",
        "Finish NPU",
        cwd=dev,
        env={"GIT_TRACE": str(trace)},
    )
    assert ran.code == 0, ran.out + ran.err
    pushes = [
        shlex.split(line.split("trace: built-in: ", 1)[1])
        for line in trace.read_text().splitlines()
        if "trace: built-in: git push" in line
    ]
    assert pushes == [shlex.split(shown)]
    assert ("--force-if-includes" in shown) == (not unpushed_only and git_version() >= (2, 30))


KILL_DEVDOCTOR = """#!/bin/sh
# The squash's `git commit` runs this hook: kill devdoctor (git commit's parent) mid-rewrite.
devdoctor=$(awk '{print $4}' /proc/$PPID/stat)
kill -9 "$devdoctor"
exit 1
"""


def squash_killed_half_way(cli: Runner, dev: Path) -> None:
    """`fix --apply` killed by the squash's own commit hook, after the soft reset."""
    hook = dev / ".git" / "hooks" / "pre-commit"
    hook.write_text(KILL_DEVDOCTOR)
    hook.chmod(0o755)
    killed = cli("fix", "DD301", "--apply", "--yes", "-m", "Add NPU support", cwd=dev)
    assert killed.code == -9, killed.out + killed.err
    hook.unlink()


def test_undo_after_a_killed_squash_keeps_commits_made_since(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev = world["dev"]
    old_head = git(dev, "rev-parse", "HEAD")
    squash_killed_half_way(cli, dev)
    assert git(dev, "rev-parse", "HEAD") != old_head  # cut off after the soft reset
    (dev / "new.py").write_text("work = 1\n")
    git(dev, "add", "new.py")
    git(dev, "commit", "-q", "-m", "New work after the crash")
    mine = git(dev, "rev-parse", "HEAD")
    ran = cli("undo", "--yes", cwd=dev)
    assert ran.code == 1, ran.out + ran.err
    assert "would drop these commits" in ran.out and "New work after the crash" in ran.out
    assert git(dev, "rev-parse", "HEAD") == mine  # nothing moved, nothing lost


def test_undo_after_a_killed_squash_restores_the_branch(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev = world["dev"]
    old_head = git(dev, "rev-parse", "HEAD")
    squash_killed_half_way(cli, dev)
    ran = cli("undo", "--yes", cwd=dev)
    assert ran.code == 0, ran.out + ran.err
    assert git(dev, "rev-parse", "HEAD") == old_head


def test_printed_commands_are_shell_quoted(cli: Runner, world: dict[str, Path]) -> None:
    """A branch name is data: pasting any command devdoctor prints never runs part of it."""
    dev = world["dev"]
    hostile = "feat;touch${IFS}pwned;#"
    git(dev, "branch", "-q", "-m", hostile)
    git(dev, "push", "-q", "origin", f"{hostile}")
    preview = cli("fix", "DD301", "--push", cwd=dev)
    commands = [
        line.split(": ", 1)[1]
        for line in preview.out.splitlines()
        if line.strip().startswith(("backup:", "push ("))
    ]
    assert len(commands) == 2, preview.out
    for command in commands:
        assert hostile in shlex.split(command) or any(hostile in w for w in shlex.split(command))
        subprocess.run(["sh", "-c", command], cwd=dev, capture_output=True)
        assert not (dev / "pwned").exists(), command


def test_a_reformatting_commit_hook_is_reported_and_the_index_restored(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev = world["dev"]
    hook = dev / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho '# reformatted' >> src/npu.py\ngit add src/npu.py\n")
    hook.chmod(0o755)
    old_head = git(dev, "rev-parse", "HEAD")
    ran = cli("fix", "DD301", "--apply", "--yes", "-m", "Squash", cwd=dev)
    assert ran.code == 1, ran.out + ran.err
    assert "your commit hooks changed files in the working tree" in ran.out
    assert git(dev, "rev-parse", "HEAD") == old_head
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=dev)
    assert staged.returncode == 0  # nothing left staged
    assert "# reformatted" in (dev / "src" / "npu.py").read_text()  # the hook's edit stays


def test_a_branch_of_junk_subjects_is_not_squashed_into_junk(
    cli: Runner, world: dict[str, Path]
) -> None:
    alice = world["alice"]
    git(alice, "switch", "-q", "-c", "scratch")
    for n, subject in enumerate(["wip", ".", "tmp", "asdf"]):
        commit(alice, f"s{n}.py", f"x = {n}\n", subject)
    preview = cli("fix", "DD301", cwd=alice)
    assert "name it first" in preview.out and "-m 'What it does'" in preview.out
    before = git(alice, "rev-parse", "HEAD")
    unnamed = cli("fix", "DD301", "--apply", "--yes", cwd=alice)
    assert "yours to run" in unnamed.out or "not applied" in unnamed.out, unnamed.out
    assert git(alice, "rev-parse", "HEAD") == before
    named = cli("fix", "DD301", "--apply", "--yes", "-m", "Add the scratch modules", cwd=alice)
    assert named.code == 0, named.out + named.err
    assert git(alice, "log", "-1", "--format=%s") == "Add the scratch modules"


def test_undo_by_id_names_the_place_and_the_push_is_reported(
    cli: Runner, world: dict[str, Path]
) -> None:
    dev = world["dev"]
    old_head = git(dev, "rev-parse", "HEAD")
    ran = cli("fix", "DD301", "--apply", "--yes", "--push", "-m", "Add NPU support", cwd=dev)
    assert ran.code == 0 and "pushed npu_support to origin with a lease" in ran.out, ran.out
    listed = cli("undo", "--list")
    run_id = listed.out.split()[0]
    assert "move refs/heads/npu_support" in listed.out
    assert cli("undo", "20000101T000000-abcdef", "--yes").code == 2  # no such run
    undone = cli("undo", run_id, "--yes")
    assert undone.code == 0, undone.out + undone.err
    assert f"in repository {dev}" in undone.out and "put the remote back with" in undone.out
    assert git(dev, "rev-parse", "HEAD") == old_head
    assert cli("undo", run_id, "--yes").code == 2  # already undone
