"""Rewriting history to drop blobs: every commit reachable from a ref is recreated without the tree
entries that point at the given blobs, as ``git filter-repo --strip-blobs-with-ids`` would.

Commits are visited parents first; a commit whose tree and parents come out unchanged keeps its id, so
only history from the first commit that held a dropped blob onwards gets new ids. Authors, committers,
dates and messages are kept. A folder left empty disappears (git stores no empty trees). Annotated tags are
recreated on the new commit with their tagger and message.
"""

from __future__ import annotations

from collections.abc import Iterable

import pygit2

_TREE = int(pygit2.GIT_FILEMODE_TREE)


class BlobDropper:
    """Rewrites the commits of one repository; results are memoized per tree and per commit."""

    def __init__(self, repo: pygit2.Repository, blob_ids: Iterable[str]) -> None:
        self.repo = repo
        self.drop = {pygit2.Oid(hex=oid) for oid in blob_ids}
        self.trees: dict[pygit2.Oid, pygit2.Oid | None] = {}
        self.commits: dict[pygit2.Oid, pygit2.Oid] = {}

    def rewrite_tips(self, tips: list[pygit2.Oid]) -> None:
        """Rewrite every commit reachable from ``tips`` (parents before children)."""
        walker = self.repo.walk(None, pygit2.GIT_SORT_TOPOLOGICAL | pygit2.GIT_SORT_REVERSE)
        for tip in tips:
            walker.push(tip)
        for commit in walker:
            self.commits[commit.id] = self._commit(commit)

    def _commit(self, commit: pygit2.Commit) -> pygit2.Oid:
        tree = self._tree(commit.tree_id)
        if tree is None:
            tree = self.repo.TreeBuilder().write()
        parents = [self.commits.get(p, p) for p in commit.parent_ids]
        if tree == commit.tree_id and parents == list(commit.parent_ids):
            return commit.id
        return self.repo.create_commit(None, commit.author, commit.committer, commit.raw_message, tree, parents)

    def _tree(self, tree_id: pygit2.Oid) -> pygit2.Oid | None:
        """The tree without the dropped blobs; None when nothing is left in it."""
        if tree_id in self.trees:
            return self.trees[tree_id]
        tree = self.repo[tree_id]
        builder = None
        for entry in tree:
            if entry.filemode == _TREE:
                new = self._tree(entry.id)
                if new == entry.id:
                    continue
            elif entry.id not in self.drop:
                continue
            else:
                new = None
            builder = builder or self.repo.TreeBuilder(tree)
            if new is None:
                builder.remove(entry.name)
            else:
                builder.insert(entry.name, new, _TREE)
        result = tree_id if builder is None else (builder.write() if len(builder) else None)
        self.trees[tree_id] = result
        return result

    def new_target(self, ref: pygit2.Reference) -> pygit2.Oid | None:
        """What ``ref`` must point at after the rewrite, or None when it stays."""
        target = self.repo[ref.target]
        if isinstance(target, pygit2.Commit):
            new = self.commits.get(target.id, target.id)
            return None if new == target.id else new
        if isinstance(target, pygit2.Tag):
            peeled = target.peel(pygit2.Commit).id
            new = self.commits.get(peeled, peeled)
            if new == peeled:
                return None
            return self._retag(target, new)
        return None

    def _retag(self, tag: pygit2.Tag, commit: pygit2.Oid) -> pygit2.Oid:
        # An annotated tag object for the new commit, written without touching the ref (moved later).
        tagger = f"tagger {_signature(tag.tagger)}\n" if tag.tagger is not None else ""
        odb_data = f"object {commit}\ntype commit\ntag {tag.name}\n{tagger}\n".encode() + tag.raw_message
        return self.repo.odb.write(pygit2.GIT_OBJECT_TAG, odb_data)


def _signature(sig: pygit2.Signature) -> str:
    offset = sig.offset
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{sig.name} <{sig.email}> {sig.time} {sign}{hours:02d}{minutes:02d}"
