"""An in-memory lakeFS for the mirror's replay tests: no lakeFS server can be had on this workplace.

lakeFS is not served by the Go module proxy here (``go mod download github.com/treeverse/lakefs@v1.77.0``
answers 403 "not available"), so the replay algorithm (lakefs_replay.py, lakefs_mirror.py) is tested against
this implementation of the MirrorTarget port, which keeps lakeFS's semantics that the algorithm relies on:
commits with parents, metadata and a date; branches and tags that point at commits; an uncommitted staging
area per branch that a reset drops; the default branch cannot be deleted. The SDK adapter (kohakuhub/lakefs/
sdk.py) is tested only against a real unreachable endpoint (tests/api/test_lakefs_settings.py).

It can also fail on purpose: ``down`` (every call fails), ``fail_after_commit`` (the commit is made, then the
call fails, as a worker killed before it recorded the answer), ``fail_during_staging`` (half the writes staged).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kohakuhub.lakefs.base import COMMIT_KEY, CommitSpec, Head, MirrorError, MirrorTarget, PutObject


@dataclass
class MemCommit:
    id: str
    parent: str | None
    files: dict[str, tuple[bytes | None, str | None, str | None]]  # path -> (bytes, physical address, oid)
    message: str
    metadata: dict[str, str]
    date: datetime | None


@dataclass
class MemRepo:
    hub_key: str
    default: str = "main"
    commits: dict[str, MemCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    staged: dict[str, dict[str, tuple | None]] = field(default_factory=dict)


class MemoryLakefs(MirrorTarget):
    """The MirrorTarget port kept in memory (see the module docstring)."""

    def __init__(self) -> None:
        self.repos: dict[str, MemRepo] = {}
        self.down = False
        self.fail_after_commit = 0
        self.fail_during_staging = 0
        self.commit_calls = 0
        self.deleted_repos: list[str] = []
        self._ids = itertools.count(1)

    def _check(self) -> None:
        if self.down:
            raise MirrorError("lakeFS could not be reached: connection refused (the test stopped it)")

    def _repo(self, name: str) -> MemRepo:
        self._check()
        if name not in self.repos:
            raise MirrorError(f"lakeFS refused: 404 repository {name} not found")
        return self.repos[name]

    def _new_commit(self, repo: MemRepo, parent: str | None, files: dict, message: str, metadata: dict,
                    date: datetime | None) -> str:
        commit_id = hashlib.sha256(str(next(self._ids)).encode()).hexdigest()
        repo.commits[commit_id] = MemCommit(commit_id, parent, files, message, metadata, date)
        return commit_id

    def health(self) -> str:
        self._check()
        return "lakeFS (in memory) answers"

    def ensure_repository(self, name: str, hub_key: str) -> str:
        self._check()
        if name not in self.repos:
            repo = self.repos[name] = MemRepo(hub_key)
            repo.branches["main"] = self._new_commit(repo, None, {}, "Repository created", {}, None)
        return self.repos[name].default

    def delete_repository(self, name: str) -> None:
        self._check()
        if self.repos.pop(name, None) is not None:
            self.deleted_repos.append(name)

    def branches(self, name: str) -> dict[str, Head]:
        repo = self._repo(name)
        return {branch: Head(cid, repo.commits[cid].metadata.get(COMMIT_KEY)) for branch, cid in repo.branches.items()}

    def tags(self, name: str) -> dict[str, str]:
        return dict(self._repo(name).tags)

    def root_commit(self, name: str) -> str:
        repo = self._repo(name)
        return next(cid for cid, commit in repo.commits.items() if commit.parent is None)

    def create_branch(self, name: str, branch: str, source_commit: str) -> None:
        repo = self._repo(name)
        if not re.fullmatch(r"\w[-\w]*", branch, re.ASCII):  # lakeFS's rule for branch names
            raise MirrorError(f"lakeFS refused: 400 invalid branch name {branch!r}")
        if branch in repo.branches or source_commit not in repo.commits:
            raise MirrorError(f"lakeFS refused: 409/404 create branch {branch}")
        repo.branches[branch] = source_commit

    def delete_branch(self, name: str, branch: str) -> None:
        repo = self._repo(name)
        if branch == repo.default:
            raise MirrorError("lakeFS refused: 400 cannot delete the default branch")
        repo.branches.pop(branch, None)
        repo.staged.pop(branch, None)

    def create_tag(self, name: str, tag: str, commit: str) -> None:
        repo = self._repo(name)
        if tag in repo.tags or commit not in repo.commits:
            raise MirrorError(f"lakeFS refused: 409/404 create tag {tag}")
        repo.tags[tag] = commit

    def delete_tag(self, name: str, tag: str) -> None:
        self._repo(name).tags.pop(tag, None)

    def files(self, name: str, branch: str) -> dict[str, str | None]:
        repo = self._repo(name)
        return {path: value[2] for path, value in self.tree(name, repo.branches[branch]).items()}

    def tree(self, name: str, ref: str) -> dict[str, tuple]:
        """Every object at a commit id or branch (staged changes not included)."""
        repo = self.repos[name]
        return dict(repo.commits[repo.branches.get(ref, ref)].files)

    def log(self, name: str, branch: str) -> list[MemCommit]:
        """The branch's commits, newest first, without the repository's creation commit."""
        repo = self.repos[name]
        found, cid = [], repo.branches[branch]
        while cid is not None and repo.commits[cid].parent is not None:
            found.append(repo.commits[cid])
            cid = repo.commits[cid].parent
        return found

    def commit(self, name: str, branch: str, puts: Sequence[PutObject], deletes: Sequence[str],
               spec: CommitSpec) -> str:
        repo = self._repo(name)
        if branch not in repo.branches:
            raise MirrorError(f"lakeFS refused: 404 branch {branch}")
        staged = repo.staged[branch] = {}  # the reset that drops uncommitted changes
        for index, put in enumerate(puts):
            if self.fail_during_staging and index == len(puts) // 2:
                self.fail_during_staging -= 1
                raise MirrorError("lakeFS could not upload: connection reset (the test cut it)")
            data = b"".join(put.read()) if put.read is not None else None
            staged[put.path] = (data, put.physical_address, put.oid)
        head = repo.branches[branch]
        files = dict(repo.commits[head].files)
        for path in deletes:
            files.pop(path, None)
        files.update(staged)
        repo.staged[branch] = {}
        new = self._new_commit(repo, head, files, spec.message, dict(spec.metadata), spec.date)
        repo.branches[branch] = new
        self.commit_calls += 1
        if self.fail_after_commit:
            self.fail_after_commit -= 1
            raise MirrorError("lakeFS could not answer the commit: connection reset (the test cut it)")
        return new
