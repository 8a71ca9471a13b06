"""The card tags of repos: what the lists' ``filter=`` and the tags-by-type answer read."""

from __future__ import annotations

from collections import defaultdict

from peewee import fn

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import Repo, RepoCardIndex, RepoTag


def indexed_readme_oid(repo_id: int) -> str | None:
    """The README blob the repo's tags were read from ("" for none), or None when never indexed."""
    row = RepoCardIndex.get_or_none(RepoCardIndex.repo == repo_id)
    return None if row is None else row.readme_oid


def replace_card_tags(repo_id: int, readme_oid: str, tags: list[tuple[str, str]]) -> None:
    """Make ``tags`` (kind, tag) the repo's tags, read from ``readme_oid``, in one transaction."""
    with write_transaction(database_proxy.obj):
        RepoTag.delete().where(RepoTag.repo == repo_id).execute()
        if tags:
            RepoTag.insert_many([{"repo": repo_id, "kind": kind, "tag": tag} for kind, tag in tags]).execute()
        RepoCardIndex.insert(repo=repo_id, readme_oid=readme_oid).on_conflict(
            conflict_target=[RepoCardIndex.repo], update={RepoCardIndex.readme_oid: readme_oid}).execute()


def repos_without_card_index() -> list[tuple[int, str]]:
    """``(id, storage key)`` of the repos whose tags were never read (made before migration 8)."""
    indexed = RepoCardIndex.select(RepoCardIndex.repo)
    return [(row.id, row.key) for row in Repo.select(Repo.id, Repo.key).where(Repo.id.not_in(indexed))]


def repos_with_every_tag(tags: list[str]):
    """A subquery of the ids of repos that have every one of ``tags`` (for ``Repo.id.in_(...)``)."""
    return (RepoTag.select(RepoTag.repo).where(RepoTag.tag.in_(tags))
            .group_by(RepoTag.repo).having(fn.COUNT(fn.DISTINCT(RepoTag.tag)) == len(set(tags))))


def tags_of_repos(repo_ids: list[int]) -> dict[int, list[str]]:
    """Each repo's tags, in the order they were read from its card."""
    found: dict[int, list[str]] = defaultdict(list)
    if repo_ids:
        for repo_id, tag in (RepoTag.select(RepoTag.repo, RepoTag.tag).where(RepoTag.repo.in_(repo_ids))
                             .order_by(RepoTag.id).tuples()):
            found[repo_id].append(tag)
    return found


def tags_by_kind(repo_type: str, limit_per_kind: int) -> dict[str, list[tuple[str, int]]]:
    """The tags public repos of a type use, per kind, most used first: ``kind -> [(tag, repos)]``."""
    count = fn.COUNT(RepoTag.repo)
    rows = (RepoTag.select(RepoTag.kind, RepoTag.tag, count.alias("n"))
            .join(Repo, on=(RepoTag.repo == Repo.id))
            .where((Repo.repo_type == repo_type) & (Repo.private == False))  # noqa: E712 (peewee expression)
            .group_by(RepoTag.kind, RepoTag.tag).order_by(count.desc(), RepoTag.tag).tuples())
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for kind, tag, n in rows:
        if len(grouped[kind]) < limit_per_kind:
            grouped[kind].append((tag, n))
    return grouped
