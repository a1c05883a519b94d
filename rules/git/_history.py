"""History rewrites as edits: a squash (or autosquash) that leaves a backup ref, verifies the
tree, restores on failure, and journals the branch move so `devdoctor undo` can put it back.

GitPython for the object reads (ancestry, trees, parents) and the soft reset; devdoctor's git
runner for commit, rebase, update-ref and push, so hooks, signing and reflog messages behave as
with porcelain git. Every Repo is closed (GitPython keeps `git cat-file` children alive until
then).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devdoctor.api import BRANCH_REF, SHA, EditFailed, git, journal_field, journal_path

IN_PROGRESS = {
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or am",
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "BISECT_LOG": "a bisect",
}


@contextlib.contextmanager
def open_repo(path: Path) -> Iterator[Any]:
    import git

    with git.Repo(path) as repo:
        yield repo


def git_out(repo_path: Path, *args: str) -> str:
    """A git command whose failure stops the edit."""
    try:
        return git.run(repo_path, *args)
    except git.GitError as exc:
        raise EditFailed(str(exc)) from None


rev = git.rev


def refusal(
    repo_path: Path, branch: str, expected_head: str, protected: tuple[str, ...] = ()
) -> str | None:
    """Why a rewrite must not start here, or None. Checked right before writing."""
    import fnmatch

    current = git.query(repo_path, "symbolic-ref", "-q", "--short", "HEAD")
    if not current:
        return "HEAD is detached: check out the branch to clean up"
    if current != branch:
        return f"the checked-out branch is {current}, not {branch}"
    if any(fnmatch.fnmatch(branch, pattern) for pattern in protected):
        return f"{branch} is a default or protected branch"
    for name, what in IN_PROGRESS.items():
        if os.path.exists(git_out(repo_path, "rev-parse", "--git-path", name)):
            return f"{what} is in progress: finish or abort it first"
    if git_out(repo_path, "rev-parse", "--is-shallow-repository") == "true":
        return "this is a shallow clone (the merge-base may be wrong): git fetch --unshallow"
    if not git.succeeds(repo_path, "diff", "--cached", "--quiet"):
        return "there are staged changes: they would be folded into the squash; commit or unstage"
    if rev(repo_path, "HEAD") != expected_head:
        return f"{branch} moved since it was checked"
    return None


@dataclass(frozen=True)
class RefEdit:
    """Move a ref from one commit to another, atomically (`update-ref <ref> <new> <old>`)."""

    kind: ClassVar[str] = "ref"
    repo: Path
    ref: str
    before: str
    after: str
    note: str = ""  # what devdoctor cannot undo itself (a pushed remote)

    def describe(self) -> str:
        return f"move {self.ref} {self.before[:8]} -> {self.after[:8]}" + (
            f" ({self.note})" if self.note else ""
        )

    def preview(self) -> str:
        return self.describe() + "\n"

    def conflict(self) -> str | None:
        now = rev(self.repo, self.ref)
        return (
            None
            if now == self.before
            else f"{self.ref} is at {(now or 'nothing')[:8]} now, not {self.before[:8]}"
        )

    def apply(self) -> None:
        git_out(self.repo, "update-ref", "-m", "devdoctor: undo", self.ref, self.after, self.before)

    def inverse(self) -> RefEdit:
        return RefEdit(self.repo, self.ref, self.after, self.before, self.note)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "repo": str(self.repo),
            "ref": self.ref,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefEdit:
        return cls(
            journal_path(data["repo"], "repository"),
            journal_field(data["ref"], BRANCH_REF, "ref"),
            journal_field(data["before"], SHA, "commit"),
            journal_field(data["after"], SHA, "commit"),
            str(data.get("note", "")),
        )


@dataclass(frozen=True)
class RewriteEdit:
    """Fold `base..branch` into one commit (mode squash) or fold its fixup!/squash!/amend!
    commits into their targets (mode autosquash). Applied, it becomes a RefEdit."""

    kind: ClassVar[str] = "rewrite"
    repo: Path
    branch: str
    before: str  # the branch tip that was checked
    base: str
    mode: str  # squash | autosquash
    message: str = ""
    backup_ref: str = ""
    protected: tuple[str, ...] = ()
    signoff: bool = False
    remote_note: str = ""

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"

    def describe(self) -> str:
        if self.mode == "autosquash":
            return f"GIT_SEQUENCE_EDITOR=: git rebase -i --autosquash {self.base[:8]}"
        return f"git reset --soft {self.base[:8]} && git commit (the message below)"

    def preview(self) -> str:
        backup = shlex.join(["git", "update-ref", self.backup_ref, self.before[:8]])
        lines = [f"backup: {backup}", self.describe()]
        if self.mode == "squash":
            lines += ["message:"] + [f"  | {line}" for line in self.message.splitlines()]
        lines.append(
            f"verify: the new tip's tree is {self.before[:8]}'s tree"
            + (f", its only parent {self.base[:8]}" if self.mode == "squash" else "")
        )
        return "\n".join(lines) + "\n"

    def conflict(self) -> str | None:
        return refusal(self.repo, self.branch, self.before, self.protected)

    def apply(self) -> RefEdit:
        """Returns what was really done: the branch move that undo reverses."""
        with open_repo(self.repo) as repo:
            if not repo.is_ancestor(self.base, self.before):
                raise EditFailed(f"the base {self.base[:8]} is not an ancestor of {self.branch}")
            old_tree = repo.commit(self.before).tree.hexsha
            backup = self._new_backup()
            unstaged = git.query(self.repo, "diff", "--binary")  # what the user had in progress
            try:
                self._rewrite(repo)
                head = repo.head.commit
                problem = None
                if head.tree.hexsha != old_tree:
                    problem = "the new tip's tree differs from the old one"
                elif self.mode == "squash" and [p.hexsha for p in head.parents] != [self.base]:
                    problem = "the squash commit's parent is not the base"
                if problem:
                    raise EditFailed(problem)
            except Exception as exc:
                self._restore(repo)
                why = (
                    str(exc)
                    if isinstance(exc, EditFailed)
                    else (f"{self.mode} failed ({_first_line(exc)})")
                )
                touched = git.query(self.repo, "diff", "--binary") != unstaged
                hooks = (
                    "; your commit hooks changed files in the working tree: those changes are "
                    "left there, unstaged (git diff shows them)"
                    if touched
                    else ""
                )
                raise EditFailed(f"{why}; {self.branch} restored from {backup}{hooks}") from None
            return RefEdit(self.repo, self.ref, self.before, head.hexsha, self.remote_note)

    def _new_backup(self) -> str:
        """Write the backup ref; `.2`, `.3`... when a backup of the same second exists.
        `update-ref <ref> <new> 000...` fails instead of overwriting an existing ref."""
        message = f"devdoctor: backup of {self.branch} before {self.mode}"
        for n in range(1, 100):
            name = self.backup_ref + (f".{n}" if n > 1 else "")
            try:
                git.run(self.repo, "update-ref", "-m", message, name, self.before, "0" * 40)
                return name
            except git.GitError as exc:
                if "already exists" not in str(exc):
                    raise EditFailed(f"cannot write the backup ref: {_first_line(exc)}") from None
        raise EditFailed(f"too many backups named {self.backup_ref}")

    def _rewrite(self, repo: Any) -> None:
        if self.mode == "autosquash":
            env = {**os.environ, "GIT_SEQUENCE_EDITOR": ":", "GIT_EDITOR": ":"}
            git.run(self.repo, "rebase", "-i", "--autosquash", self.base, env=env)
            return
        repo.head.reset(self.base, index=False, working_tree=False)  # git reset --soft
        with tempfile.NamedTemporaryFile("w", suffix=".msg", delete=False) as f:
            f.write(self.message)
        try:  # porcelain commit: commit-msg hooks and commit.gpgSign apply
            # --allow-empty: a branch of empty commits squashes to one empty commit
            signoff = ["--signoff"] if self.signoff else []
            git.run(self.repo, "commit", "-F", f.name, "--allow-empty", *signoff)
        finally:
            os.unlink(f.name)

    def _restore(self, repo: Any) -> None:
        with contextlib.suppress(git.GitError):
            git.run(self.repo, "rebase", "--abort")
        # The index too: a hook may have staged what it reformatted (nothing was staged before).
        repo.head.reset(self.before, index=True, working_tree=False)

    def inverse(self) -> RefEdit:
        """Only reached for a run killed mid-rewrite: put the branch back to the backup — from a
        state the rewrite itself can leave. Anything else (commits made since) is where the
        branch must not move from: the inverse then expects the state the rewrite found, so it
        conflicts and undo refuses."""
        now = rev(self.repo, self.ref) or ""
        return RefEdit(
            self.repo, self.ref, now if self.left_by_us(now) else self.before, self.before
        )

    def left_by_us(self, now: str) -> bool:
        if now in (self.before, self.base):  # not moved yet, or reset --soft done
            return True
        tree = git.query(self.repo, "rev-parse", f"{now}^{{tree}}")
        if not tree or tree != git.query(self.repo, "rev-parse", f"{self.before}^{{tree}}"):
            return False
        if self.mode == "squash":
            parents = git.query(self.repo, "rev-list", "--parents", "-n", "1", now) or ""
            subject = git.query(self.repo, "log", "-1", "--format=%s", now) or ""
            return parents.split()[1:] == [self.base] and subject == self.subject
        ours = git.query(self.repo, "rev-list", "--count", f"{self.base}..{now}") or "0"
        theirs = git.query(self.repo, "rev-list", "--count", f"{self.base}..{self.before}") or "0"
        return git.succeeds(self.repo, "merge-base", "--is-ancestor", self.base, now) and int(
            ours
        ) < int(theirs)

    @property
    def subject(self) -> str:
        return (self.message.splitlines() or [""])[0]

    def drift(self) -> str:
        """What undo would lose, for its refusal."""
        now = rev(self.repo, self.ref) or "nothing"
        made = git.query(self.repo, "log", "--format=  %h %s", f"{self.base}..{now}") or ""
        return (
            f"{self.ref} is at {now[:8]}, a state this {self.mode} did not leave; moving it "
            f"back to {self.before[:8]} would drop these commits:\n{made}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "repo": str(self.repo),
            "branch": self.branch,
            "before": self.before,
            "base": self.base,
            "mode": self.mode,
            "subject": self.subject,  # recognises our own squash commit after a kill
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RewriteEdit:
        return cls(
            journal_path(data["repo"], "repository"),
            journal_field(f"refs/heads/{data['branch']}", BRANCH_REF, "branch")[11:],
            journal_field(data["before"], SHA, "commit"),
            journal_field(data["base"], SHA, "commit"),
            journal_field(data["mode"], "squash|autosquash", "mode"),
            str(data.get("subject", "")),
        )


def _first_line(exc: Exception) -> str:
    text = getattr(exc, "stderr", "") or str(exc)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def push_args(remote: str, branch: str, lease: str | None, force: bool) -> list[str]:
    """The one push devdoctor runs and shows (as `git <args>`): a force push with an explicit
    lease (plus --force-if-includes where this git has it) when rewriting pushed commits, else a
    plain push."""
    ref = f"refs/heads/{branch}"
    if not force:
        return ["push", remote, f"{ref}:{ref}"]
    args = ["push", f"--force-with-lease={ref}:{lease or ''}"]
    if git.version() >= (2, 30):
        args.append("--force-if-includes")
    return [*args, remote, f"{ref}:{ref}"]


def remote_loss(
    repo_path: Path, remote: str, branch: str, replaced: str, lease: str | None
) -> str | None:
    """Why publishing the rewrite would lose work on the remote, or None.

    A lease only says "the remote is where I last fetched it"; after a background fetch that can
    be a collaborator's commit. So the remote branch is fetched now and every commit on it must
    be in `replaced` (the branch as it was before the rewrite, which the backup keeps), and it
    must still be at the lease, which the printed undo command restores."""
    ref = f"refs/heads/{branch}"
    try:
        git.run(repo_path, "fetch", "--quiet", "--no-tags", remote, ref)
    except git.GitError as exc:
        if "couldn't find remote ref" not in str(exc):
            return f"cannot read {remote}'s {branch} to check it ({_first_line(exc)})"
        tip = None
    else:
        tip = git.rev(repo_path, "FETCH_HEAD")
    if tip is None:
        return None if lease is None else f"{remote}'s {branch} was deleted since the check"
    if not git.succeeds(repo_path, "merge-base", "--is-ancestor", tip, replaced):
        theirs = git.run(repo_path, "log", "--format=  %h %s (%an)", f"{replaced}..{tip}")
        pull = shlex.join(["git", "pull", "--rebase", remote, branch])
        return (
            f"{remote}'s {branch} has commits your branch does not, which the push would delete:"
            f"\n{theirs}\nintegrate them first ({pull}), then run devdoctor again"
        )
    if tip != lease:
        return f"{remote}'s {branch} moved since the check ({(lease or 'absent')[:8]} -> {tip[:8]})"
    return None


def push(repo_path: Path, args: list[str]) -> str | None:
    """Run push_args: None when it worked, else git's reason."""
    try:
        git.run(repo_path, *args)
    except git.GitError as exc:
        text = str(exc)
        rejected = [line.strip() for line in text.splitlines() if "rejected" in line]
        return rejected[0] if rejected else _first_line(exc)
    return None
