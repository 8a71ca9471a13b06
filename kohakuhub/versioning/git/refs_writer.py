"""Creating, moving and deleting refs with libgit2, mapping its failures to domain errors.

Callers hold the repo lock; libgit2 additionally writes each ref through ``<ref>.lock`` + rename and
checks the old value, so a writer that bypasses our lock (plain ``git``) can never be overwritten
silently.
"""

from __future__ import annotations

import pygit2

from kohakuhub.errors import ConflictError, RevisionNotFoundError, StaleParentError


def create_ref(repo: pygit2.Repository, ref_name: str, target: pygit2.Oid, *, label: str) -> None:
    """Create ``ref_name`` at ``target``; never overwrites.

    Raises:
        ConflictError: the ref exists, or a ref clashes with its path (``a`` exists and ``a/b`` is
            wanted, or the reverse).
    """
    try:
        repo.references.create(ref_name, target, force=False)
    except pygit2.AlreadyExistsError as exc:
        raise ConflictError(f"{label} already exists") from exc
    except (pygit2.GitError, OSError) as exc:
        # libgit2 reports a directory/file clash in refs/ as an OS error ("Not a directory"...).
        raise ConflictError(f"{label} conflicts with an existing reference") from exc


def move_ref(repo: pygit2.Repository, ref_name: str, old: pygit2.Oid | None, new: pygit2.Oid) -> None:
    """Point ``ref_name`` at ``new`` if it still points at ``old`` (None: if it does not exist yet).

    Raises:
        StaleParentError: the ref changed under us (only possible from a writer ignoring our lock).
    """
    try:
        if old is None:
            repo.references.create(ref_name, new, force=False)
            return
        ref = repo.references.get(ref_name)
        if ref is None or ref.target != old:
            raise StaleParentError()
        # set_target is libgit2's compare-and-swap: it fails if the ref moved since `ref` was read.
        ref.set_target(new)
    except (pygit2.GitError, OSError) as exc:
        raise StaleParentError() from exc


def delete_ref(repo: pygit2.Repository, ref_name: str, *, name: str) -> None:
    """Delete ``ref_name`` (``name`` is the short name the caller gave).

    Raises:
        RevisionNotFoundError: the ref does not exist (or the name is not a valid ref name); the Hub's
            text, "Invalid rev id: <name>", which clients match on.
    """
    missing = RevisionNotFoundError(f"Invalid rev id: {name}")
    if "\0" in ref_name or not pygit2.reference_is_valid_name(ref_name):
        raise missing
    ref = repo.references.get(ref_name)
    if ref is None:
        raise missing
    try:
        ref.delete()
    except (pygit2.GitError, KeyError) as exc:  # deleted concurrently by a plain git client
        raise missing from exc
