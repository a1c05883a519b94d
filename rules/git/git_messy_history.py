"""A feature branch full of WIP, fixup! and "." commits, before it is pushed for review.

## What it does

Looks at the commits of the current branch since its base: the merge-base of HEAD with the
remote's default branch (`origin/HEAD`, else `origin/main` / `origin/master`; the setting `base`
overrides) — never that branch's tip, which would count (and a squash would revert) other
people's newer work. Signals, each a fact: commits ahead; fixup!/squash!/amend! commits;
WIP / tmp / "." / very short subjects; duplicate subjects; merges of the base into the branch;
commits that revert each other. It fails on fixup!/squash!/amend! markers or more than
`fail_commits` (20) commits, warns when a branch of two or more commits has the other signals or
more than `warn_commits` (10) commits, and passes on the default branch itself. Cost grows with
the branch, not with the history (settings below).

## Why is this bad?

Reviewers read the story of a branch commit by commit; "WIP", "." and "fix typo" commits hide
it, and fixup! commits are instructions to git that were never carried out. Cleaning up by hand
is easy to get wrong: `git reset --soft origin/main` after main moved on silently reverts other
people's work, `git push --force` overwrites a collaborator's push, and `ORIG_HEAD` is overwritten
by the next reset, so there is no way back.

## Example

```
$ git log --oneline origin/main..
9f3c2d1 fixup! add the loader
41be0a7 wip
c07e6f2 add the loader
$ devdoctor check git-messy-history
  ✗ DD301 git-messy-history: feature: 3 commits since merge-base of HEAD with origin/main
    (1 fixup!/squash!/amend!; low information: 1)
```

## Fix

`devdoctor fix git-messy-history` previews the base it picked and why, whether this squashes the
whole branch (a force push) or, with `--unpushed-only`, only what is not pushed yet (base =
`origin/<branch>`, a plain push), the commits to fold, the message (`-m MSG`; default: the first
meaningful subject, the other subjects as bullets), `Co-authored-by:` trailers for every other
author, and the exact push command. With `--apply` (and a confirmation or `--yes`) it writes a
backup ref `refs/devdoctor/backup/<branch>/<timestamp>`, runs `git reset --soft <base>` and a
porcelain `git commit` (hooks and signing apply), and checks that the new tip has the old tree and
the base as its only parent — otherwise it restores the backup. It pushes only with `--push`,
using `--force-with-lease=refs/heads/<branch>:<sha seen before>` and `--force-if-includes`; a
rejected push keeps the local squash. When the only problem is fixup!/squash!/amend! commits,
the fix is `git rebase -i --autosquash` run non-interactively instead (the squash stays available
as `--alternative 1`).

## Fix safety

Unsafe: it rewrites history. It refuses (nothing changed) on a detached HEAD, a default or
protected branch, a rebase/merge/cherry-pick/revert/bisect/am in progress, a shallow clone,
staged changes (unstaged and untracked files stay untouched), or a base that is not an ancestor.
`devdoctor undo` moves the branch back to the backup; backup refs are listed by
`git for-each-ref refs/devdoctor/backup` and never deleted automatically. A pushed rewrite is
undone locally; the undo says how to put the remote back.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devdoctor.api import (
    Applicability,
    Context,
    Diagnostic,
    Fix,
    FixAvailability,
    Rule,
    Scope,
    Status,
    git,
    setting,
)

MARKER = re.compile(r"^(fixup|squash|amend)! ")
CLICHE = re.compile(
    r"^((wip|tmp|temp|debug)\b.*|asdf|xxx|test|tests|stuff|changes|minor|"
    r"(fix(es|ed|ing)?|add(s|ed|ing)?|(updat|chang|remov|delet)(e|es|ed|ing))"
    r"(\s+\w+)?)$",
    re.IGNORECASE,
)
REVERT = re.compile(r'^Revert "(?P<subject>.*)"$')


@dataclass(frozen=True)
class Settings:
    remote: str = setting("origin", "the remote whose default branch is the base")
    base: str = setting("", "a revision to use as the base instead of the merge-base")
    protected: tuple[str, ...] = setting(
        ("main", "master", "develop", "trunk", "release/*"),
        "branches (fnmatch patterns) that are never rewritten",
    )
    fail_commits: int = setting(20, "fail when the branch has more commits than this")
    warn_commits: int = setting(10, "warn when the branch has more commits than this")
    min_subject: int = setting(5, "subjects shorter than this count as low-information")


@dataclass(frozen=True)
class FixOptions:
    message: str = setting(
        "", "commit message for the squash (default: built from the subjects)", short="-m"
    )
    push: bool = setting(False, "push the rewritten branch (with a lease) after the rewrite")
    unpushed_only: bool = setting(
        False, "squash only what is not pushed yet (base = the remote branch; a plain push)"
    )


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str  # Name <email>
    subject: str
    coauthors: tuple[str, ...]
    signed_off: bool


@dataclass(frozen=True)
class Branch:
    """What the rule found about the checked-out branch."""

    repo: Path
    name: str
    head: str
    base: str
    why: str  # how the base was chosen, for people
    commits: list[Commit]
    facts: dict[str, Any]


def _git(repo: Path, *args: str) -> str:
    """Reads where "git said no" is an ordinary answer: the empty string."""
    return git.query(repo, *args) or ""


def branch_commits(repo: Path, base: str, head: str) -> list[Commit]:
    fmt = (
        "%H%x1f%P%x1f%an <%ae>%x1f%s%x1f%(trailers:key=Co-authored-by,valueonly,"
        "separator=%x1d)%x1f%(trailers:key=Signed-off-by,valueonly,separator=%x1d)%x1e"
    )
    out = _git(repo, "log", "--reverse", f"--format={fmt}", f"{base}..{head}")
    commits = []
    for record in filter(None, (r.strip("\n") for r in out.split("\x1e"))):
        sha, parents, author, subject, coauthors, signoffs = (record.split("\x1f") + [""] * 6)[:6]
        commits.append(
            Commit(
                sha,
                tuple(parents.split()),
                author,
                subject,
                tuple(c.strip() for c in coauthors.split("\x1d") if c.strip()),
                bool(signoffs.strip()),
            )
        )
    return commits


def low_information(subject: str, min_length: int) -> bool:
    text = subject.strip()
    return len(text) < min_length or not re.search(r"[A-Za-z0-9]", text) or bool(CLICHE.match(text))


def signals(commits: list[Commit], base_side: set[str], min_length: int) -> dict[str, Any]:
    subjects = [c.subject for c in commits]
    plain = [MARKER.sub("", s) for s in subjects if not MARKER.match(s)]
    reverted = {m["subject"] for s in subjects if (m := REVERT.match(s))}
    return {
        "ahead": len(commits),
        "fixups": [s for s in subjects if MARKER.match(s)],
        "low_information": [
            s for s in subjects if not MARKER.match(s) and low_information(s, min_length)
        ],
        "duplicates": sorted({s for s in plain if plain.count(s) > 1}),
        "merges_of_base": [
            c.sha[:8] for c in commits if len(c.parents) > 1 and c.parents[1] in base_side
        ],
        "revert_pairs": sorted(s for s in reverted if s in subjects),
    }


def default_message(commits: list[Commit], min_length: int) -> str | None:
    """The first meaningful subject, the others as bullets; None when every subject is
    WIP-like (a squash must not be named "wip": the user gives the message)."""
    meaningful = [
        c.subject
        for c in commits
        if not MARKER.match(c.subject)
        and not low_information(c.subject, min_length)
        and not REVERT.match(c.subject)
    ]
    if not meaningful:
        return None
    body = "".join(f"- {s}\n" for s in dict.fromkeys(meaningful[1:]))
    return meaningful[0] + ("\n\n" + body if body else "\n")


def trailers(repo: Path, commits: list[Commit]) -> list[str]:
    """Co-authored-by for every author but the one committing, and the ones already there."""
    me = f"{_git(repo, 'config', 'user.name')} <{_git(repo, 'config', 'user.email')}>"
    people = [c.author for c in commits] + [p for c in commits for p in c.coauthors]
    return [f"Co-authored-by: {p}" for p in dict.fromkeys(people) if p != me]


def default_branch(repo: Path, remote: str) -> str | None:
    found = _git(repo, "symbolic-ref", "--short", f"refs/remotes/{remote}/HEAD")
    if found:
        return found
    return next(
        (
            f"{remote}/{name}"
            for name in ("main", "master")
            if _git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{name}")
        ),
        None,
    )


def check(ctx: Context, settings: Settings) -> Iterator[Diagnostic]:
    found = ctx.repo()
    if found is None:
        yield Diagnostic(Status.SKIP, "not in a git repository")
        return
    repo = found.work_tree
    branch = _git(repo, "symbolic-ref", "-q", "--short", "HEAD")
    if not branch:
        yield Diagnostic(Status.SKIP, "HEAD is detached: no branch to look at")
        return
    default = default_branch(repo, settings.remote)
    if default is None and not settings.base:
        yield Diagnostic(
            Status.SKIP,
            f"no remote default branch ({settings.remote}/HEAD, /main or "
            f"/master); try `{shlex.join(['git', 'remote', 'set-head', settings.remote])} --auto`",
        )
        return
    if default and branch == default.split("/", 1)[1]:
        yield Diagnostic(Status.PASS, f"on the default branch {branch}")
        return
    base = _base(ctx, settings, repo, branch, default)
    if isinstance(base, Diagnostic):
        yield base
        return
    base_sha, why = base
    head = _git(repo, "rev-parse", "HEAD")
    commits = branch_commits(repo, base_sha, head)
    on_base = set(_git(repo, "rev-list", default or base_sha, "--max-count=5000").split())
    found_signals = signals(commits, on_base, settings.min_subject)
    facts = {
        "branch": branch,
        "base": base_sha,
        "base_reason": why,
        "default": default,
        **found_signals,
    }
    yield from _verdict(ctx, settings, Branch(repo, branch, head, base_sha, why, commits, facts))


def _base(
    ctx: Context, settings: Settings, repo: Path, branch: str, default: str | None
) -> tuple[str, str] | Diagnostic:
    if ctx.fix_options(FixOptions).unpushed_only:
        ref = f"refs/remotes/{settings.remote}/{branch}"
        sha = _git(repo, "rev-parse", "--verify", "--quiet", ref)
        if not sha:
            return Diagnostic(
                Status.SKIP,
                f"{settings.remote}/{branch} does not exist: nothing is "
                "pushed, so --unpushed-only has no base",
            )
        return sha, f"{settings.remote}/{branch} {sha[:8]} (only what is not pushed yet)"
    if settings.base:
        sha = _git(repo, "rev-parse", "--verify", "--quiet", f"{settings.base}^{{commit}}")
        if not sha:
            return Diagnostic(Status.SKIP, f"the base setting {settings.base!r} is not a commit")
        return sha, f"setting base = {settings.base} ({sha[:8]})"
    from . import _history as gitedit

    with gitedit.open_repo(repo) as r:  # GitPython for the reads that matter
        bases = r.merge_base("HEAD", default)
    if not bases:
        return Diagnostic(Status.SKIP, f"HEAD and {default} share no history (shallow clone?)")
    sha = bases[0].hexsha
    return sha, f"merge-base of HEAD with {default} ({sha[:8]})"


def _verdict(ctx: Context, settings: Settings, b: Branch) -> Iterator[Diagnostic]:
    branch, why, commits, facts = b.name, b.why, b.commits, b.facts
    ahead = len(commits)
    messy = [
        k for k in ("low_information", "duplicates", "merges_of_base", "revert_pairs") if facts[k]
    ]
    if facts["fixups"] or ahead > settings.fail_commits:
        status = Status.FAIL
    elif ahead >= 2 and (messy or ahead > settings.warn_commits):
        status = Status.WARN
    else:
        yield Diagnostic(
            Status.PASS, f"{branch}: {ahead} commit(s) since {why}, nothing messy", facts
        )
        return
    what = [f"{len(facts['fixups'])} fixup!/squash!/amend!"] if facts["fixups"] else []
    what += [f"{k.replace('_', ' ')}: {len(facts[k])}" for k in messy]
    summary = f"{branch}: {ahead} commits since {why}" + (f" ({'; '.join(what)})" if what else "")
    fixes = _fixes(ctx, settings, b, only_markers=bool(facts["fixups"]) and not messy)
    yield Diagnostic(status, summary, facts, fixes, key="history")


def _fixes(ctx: Context, settings: Settings, b: Branch, only_markers: bool) -> tuple[Fix, ...]:
    repo, branch, head, base, why, commits, facts = (
        b.repo,
        b.name,
        b.head,
        b.base,
        b.why,
        b.commits,
        b.facts,
    )
    from . import _history as gitedit  # the write side loads only for a branch to fix

    remote = settings.remote
    options = ctx.fix_options(FixOptions)
    lease = (
        _git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}") or None
    )
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ctx.clock()))
    ref = f"refs/heads/{branch}"
    force = lease is not None and not options.unpushed_only
    push = gitedit.push_args(remote, branch, lease, force or lease is None)
    # The remote's tip as it was (the lease), not the local tip: the local branch may hold
    # commits the remote never had.
    restore = ["git", "push", f"--force-with-lease={ref}", remote, f"{lease}:{ref}"]
    note = (
        f"if it was pushed, put the remote back with: {shlex.join(restore)}"
        if lease
        else f"if it was pushed, delete it from the remote: git push {shlex.quote(remote)} "
        f"--delete {shlex.quote(ref)}"
    )
    named = options.message or default_message(commits, settings.min_subject)
    message = named or ""  # autosquash keeps the commits' own messages
    coauthors = trailers(repo, commits)
    full = message.rstrip("\n") + "\n" + ("\n" + "\n".join(coauthors) + "\n" if coauthors else "")
    listing = "\n".join(f"  {c.sha[:8]} {c.subject}  ({c.author})" for c in commits)
    scope = (
        "whole-branch squash (rewrites pushed commits: force push)"
        if force
        else "squash of commits not pushed yet (no force push)"
    )
    plan = (
        f"base: {why}\n{scope}\ncommits folded:\n{listing}\n"
        f"authorship: {', '.join(coauthors) or 'only you'}\n"
        f"push ({'runs with --push' if options.push else 'not run; add --push'}): "
        f"{shlex.join(['git', *push])}"
    )

    def publish() -> str | None:
        kept = f"; the local rewrite stays, `devdoctor undo` restores {branch} from its backup"
        lost = gitedit.remote_loss(repo, remote, branch, head, lease)
        if lost:
            return f"not pushed: {lost}{kept}"
        problem = gitedit.push(repo, push)
        return None if problem is None else f"push rejected ({problem}){kept}"

    def rewrite(mode: str) -> Fix:
        edit = gitedit.RewriteEdit(
            repo,
            branch,
            head,
            base,
            mode,
            full,
            f"refs/devdoctor/backup/{branch}/{stamp}",
            (*settings.protected, (facts["default"] or "/").split("/", 1)[1]),
            any(c.signed_off for c in commits),
            note,
        )
        title = (
            "Fold fixup! commits (git rebase --autosquash)"
            if mode == "autosquash"
            else f"Squash {len(commits)} commits into one"
        )
        return Fix(
            title,
            Applicability.UNSAFE,
            (edit,),
            instructions=plan,
            publish=publish if options.push else None,
            published=f"pushed {branch} to {remote} with a lease",
        )

    if named is None:  # a squash must not be called "wip": the user names it
        command = shlex.join(["devdoctor", "fix", "git-messy-history", "-m", "What it does"])
        squash = Fix(
            f"Squash {len(commits)} commits into one (name it first)",
            Applicability.DISPLAY_ONLY,
            instructions="every subject on the branch is WIP-like, so there is no message to "
            f"reuse: say what the branch does, e.g. {command}",
        )
    else:
        squash = rewrite("squash")
    return (rewrite("autosquash"), squash) if only_markers else (squash,)


RULE = Rule(
    code="DD301",
    name="git-messy-history",
    summary="The branch is full of WIP/fixup commits; squash it safely",
    scope=Scope.REPOSITORY,
    check=check,
    fix_availability=FixAvailability.SOMETIMES,
    settings=Settings,
    fix_options=FixOptions,
)
