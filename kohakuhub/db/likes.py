"""Likes: who likes which repo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import Repo, RepoLike, User
from kohakuhub.db.visibility import Viewer, visible_to


@dataclass(frozen=True)
class Liker:
    user_id: int
    username: str
    fullname: str
    liked_at: datetime


@dataclass(frozen=True)
class LikedRepo:
    repo_type: str
    repo_id: str  # namespace/name
    private: bool
    liked_at: datetime


def add_like(repo_id: int, user_id: int) -> bool:
    """Record that the user likes the repo; False when they already did (nothing changes)."""
    db = database_proxy.obj
    with write_transaction(db):
        # The cursor's row count says whether the row was inserted (peewee's execute() gives the last id).
        return db.execute(RepoLike.insert(repo=repo_id, user=user_id).on_conflict_ignore()).rowcount == 1


def remove_like(repo_id: int, user_id: int) -> bool:
    """Forget the user's like of the repo; False when there was none."""
    with write_transaction(database_proxy.obj):
        return RepoLike.delete().where((RepoLike.repo == repo_id) & (RepoLike.user == user_id)).execute() == 1


def likes_repo(repo_id: int, user_id: int) -> bool:
    """Whether the user likes the repo."""
    return RepoLike.select().where((RepoLike.repo == repo_id) & (RepoLike.user == user_id)).exists()


def likers_of_repo(repo_id: int, *, offset: int, limit: int) -> list[Liker]:
    """One page of the repo's likers, most recent first; ``limit + 1`` rows to detect a next page."""
    query = (RepoLike.select(User.id, User.username, User.fullname, RepoLike.created_at).join(User)
             .where(RepoLike.repo == repo_id).order_by(RepoLike.created_at.desc(), RepoLike.id.desc())
             .offset(offset).limit(limit + 1).tuples())
    return [Liker(*row) for row in query]


def repos_liked_by(user_id: int, viewer: Viewer, *, offset: int, limit: int) -> list[LikedRepo]:
    """One page of the repos the user likes that ``viewer`` may see, most recent like first; ``limit + 1``
    rows to detect a next page."""
    query = (RepoLike.select(Repo.repo_type, Repo.namespace, Repo.name, Repo.private, RepoLike.created_at)
             .join(Repo).where(RepoLike.user == user_id))
    condition = visible_to(viewer)
    if condition is not None:
        query = query.where(condition)
    rows = query.order_by(RepoLike.created_at.desc(), RepoLike.id.desc()).offset(offset).limit(limit + 1).tuples()
    return [LikedRepo(kind, f"{namespace}/{name}", bool(private), at) for kind, namespace, name, private, at in rows]


def count_repos_liked_by(user_id: int, viewer: Viewer) -> int:
    """How many repos the user likes that ``viewer`` may see."""
    query = RepoLike.select(fn.COUNT(RepoLike.id)).join(Repo).where(RepoLike.user == user_id)
    condition = visible_to(viewer)
    if condition is not None:
        query = query.where(condition)
    return int(query.scalar() or 0)
