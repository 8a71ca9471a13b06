"""Resolving revisions and listing refs of one open repository (reads only, no lock)."""

from __future__ import annotations

import pygit2

from kohakuhub.errors import RevisionNotFoundError
from kohakuhub.types import Refs
from kohakuhub.versioning.git.naming import MAX_REVISION_LENGTH, is_full_hex, is_hex

_HEADS = "refs/heads/"
_TAGS = "refs/tags/"
_PULLS = "refs/pr/"
# git itself needs 4 hex digits for an abbreviated id.
_MIN_SHORT_ID = 4


def resolve_commit(repo: pygit2.Repository, revision: str) -> pygit2.Commit:
    """Resolve ``revision`` to a commit: branch, then tag, then full ref name, then (short) commit id.

    Annotated tags are peeled to the commit they point at.

    Raises:
        RevisionNotFoundError: nothing matches, the match is not a commit, or a short id is ambiguous.
    """
    missing = RevisionNotFoundError(f"Invalid rev id: {revision}")
    if not isinstance(revision, str) or not revision or len(revision) > MAX_REVISION_LENGTH:
        raise missing
    if "\0" in revision:  # libgit2 would read up to the NUL and resolve a different name
        raise missing
    if len(revision) == 40 and is_full_hex(revision):
        # Branch and tag names may not be 40-hex (naming.py), so a full id can only name a commit.
        commit = _lookup_commit_id(repo, revision)
        if commit is not None:
            return commit
    for ref_name in _candidate_ref_names(revision):
        commit = _peel_ref(repo, ref_name)
        if commit is not None:
            return commit
    commit = _lookup_commit_id(repo, revision)
    if commit is None:
        raise missing
    return commit


def _candidate_ref_names(revision: str) -> list[str]:
    if revision.startswith("refs/"):
        return [revision]
    if revision == "HEAD":
        return ["HEAD"]
    return [_HEADS + revision, _TAGS + revision]


def _peel_ref(repo: pygit2.Repository, ref_name: str) -> pygit2.Commit | None:
    """The commit a ref points at (through symbolic refs and annotated tags), or None."""
    if not pygit2.reference_is_valid_name(ref_name):
        return None
    try:
        ref = repo.references.get(ref_name)
        return None if ref is None else ref.peel(pygit2.Commit)
    except (pygit2.GitError, KeyError, ValueError):
        # An unborn HEAD, or a tag of a tree/blob: not a commit, so not a revision.
        return None


def _lookup_commit_id(repo: pygit2.Repository, revision: str) -> pygit2.Commit | None:
    if len(revision) < _MIN_SHORT_ID or len(revision) > 40 or not is_hex(revision):
        return None
    try:
        obj = repo.get(revision.lower())
    except (pygit2.GitError, ValueError):  # AmbiguousError is a ValueError/GitError
        return None
    return obj if isinstance(obj, pygit2.Commit) else None


def head_of(repo: pygit2.Repository, ref_name: str) -> pygit2.Oid | None:
    """Commit id a branch ref points at, or None when it does not exist."""
    ref = repo.references.get(ref_name)
    if ref is None:
        return None
    return ref.resolve().target


def list_refs(repo: pygit2.Repository) -> Refs:
    """Branches (``refs/heads``), tags peeled to commits and pull request refs (``refs/pr/<number>``);
    other refs are omitted."""
    branches: dict[str, str] = {}
    tags: dict[str, str] = {}
    pulls: dict[int, str] = {}
    for name in repo.references:
        number = name[len(_PULLS):]
        if name.startswith(_PULLS) and number.isascii() and number.isdigit() and number[0] != "0":
            commit = _peel_ref(repo, name)
            if commit is not None:
                pulls[int(number)] = str(commit.id)
            continue
        if name.startswith(_HEADS):
            commit = _peel_ref(repo, name)
            if commit is not None:
                branches[name[len(_HEADS) :]] = str(commit.id)
        elif name.startswith(_TAGS):
            commit = _peel_ref(repo, name)
            if commit is not None:  # a tag of a tree or blob has no commit to show
                tags[name[len(_TAGS) :]] = str(commit.id)
    return Refs(branches=branches, tags=tags, pull_requests=pulls)


def matches_expected(head: pygit2.Oid | None, expected: str) -> bool:
    """True when ``expected`` (full id or prefix of at least 5 hex digits) names ``head``."""
    if head is None or not isinstance(expected, str):
        return False
    if not is_hex(expected) or not (5 <= len(expected) <= 40):
        return False
    return str(head).startswith(expected.lower())
