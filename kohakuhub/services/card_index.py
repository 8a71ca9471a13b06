"""The card tags of each repo, kept in step with its default branch's README.md for the lists' filters.

Every write that moves a repo's refs ends in RepoService.touch, which calls ``refresh``: it costs one tree
lookup when README.md did not change (its blob id is remembered) and a YAML parse when it did. Repos from
before migration 8 are indexed when the hub starts.
"""

from __future__ import annotations

import logging

from kohakuhub.db.card_tags import indexed_readme_oid, replace_card_tags, repos_without_card_index
from kohakuhub.errors import NotFoundError
from kohakuhub.lib.card import MAX_CARD_BYTES, parse_card_data, typed_card_tags
from kohakuhub.versioning.base import VersioningBackend

DEFAULT_BRANCH = "main"
log = logging.getLogger(__name__)


class CardIndex:
    def __init__(self, versioning: VersioningBackend) -> None:
        self._git = versioning

    def refresh(self, repo_id: int, key: str) -> None:
        """Re-read the tags when main's README.md is not the one they were read from."""
        try:
            commit = self._git.resolve(key, DEFAULT_BRANCH)
            entry = self._git.get_entry(key, commit, "README.md")
        except NotFoundError:  # no main branch (deleted, or an empty repo)
            entry = None
        oid = entry.oid if entry is not None and entry.type == "file" else ""
        if indexed_readme_oid(repo_id) == oid:
            return
        card = None
        if oid and entry.size <= MAX_CARD_BYTES:
            card = parse_card_data(self._git.read_blob(key, oid))
        replace_card_tags(repo_id, oid, typed_card_tags(card))

    def index_missing(self) -> int:
        """Index every repo that has never been; return how many."""
        missing = repos_without_card_index()
        for repo_id, key in missing:
            try:
                self.refresh(repo_id, key)
            except Exception:  # one broken repo must not stop the hub from starting
                log.exception("could not read the card of repo %s", key)
        return len(missing)
