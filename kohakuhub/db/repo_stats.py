"""What the lists and the info show about a repo's popularity: likes, counted downloads, trending score.

Downloads are summed per day (``RepoDownloadDay``) and likes counted from ``RepoLike`` where they are
shown, so nothing can drift: a deleted user's likes vanish with their rows. The windows:
- ``downloads``: the last 30 days (today and the 29 before, UTC), as the Hub's ``downloads``;
- ``downloadsAllTime``: every counted download (``Repo.downloads``);
- ``trendingScore``: ``TRENDING_LIKE_WEIGHT`` x likes given in the last 7 days + downloads of the last 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import Case, fn

from kohakuhub.db.models import Repo, RepoDownloadDay, RepoLike, utcnow

DOWNLOAD_DAYS = 30
TRENDING_DAYS = 7
TRENDING_LIKE_WEIGHT = 10  # a like is a deliberate act; a download may be a CI job pulling again


@dataclass(frozen=True)
class RepoStats:
    likes: int = 0
    downloads: int = 0  # the last DOWNLOAD_DAYS days
    downloads_all_time: int = 0
    trending_score: int = 0


def _since(days: int) -> date:
    """The first day of a window of ``days`` days ending today (UTC)."""
    return utcnow().date() - timedelta(days=days - 1)


def stats_of_repos(repos: list[Repo]) -> dict[int, RepoStats]:
    """Likes, downloads and trending score of each repo (two grouped queries for the whole page)."""
    if not repos:
        return {}
    ids = [repo.id for repo in repos]
    week_start = utcnow() - timedelta(days=TRENDING_DAYS)
    recent_like = Case(None, [(RepoLike.created_at >= week_start, 1)], 0)
    likes = {repo_id: (total, int(recent or 0)) for repo_id, total, recent in
             RepoLike.select(RepoLike.repo, fn.COUNT(RepoLike.id), fn.SUM(recent_like))
             .where(RepoLike.repo.in_(ids)).group_by(RepoLike.repo).tuples()}
    recent_day = Case(None, [(RepoDownloadDay.day >= _since(TRENDING_DAYS), RepoDownloadDay.downloads)], 0)
    downloads = {repo_id: (int(month or 0), int(week or 0)) for repo_id, month, week in
                 RepoDownloadDay.select(RepoDownloadDay.repo, fn.SUM(RepoDownloadDay.downloads), fn.SUM(recent_day))
                 .where(RepoDownloadDay.repo.in_(ids) & (RepoDownloadDay.day >= _since(DOWNLOAD_DAYS)))
                 .group_by(RepoDownloadDay.repo).tuples()}
    found = {}
    for repo in repos:
        total_likes, week_likes = likes.get(repo.id, (0, 0))
        month, week = downloads.get(repo.id, (0, 0))
        found[repo.id] = RepoStats(total_likes, month, repo.downloads,
                                   TRENDING_LIKE_WEIGHT * week_likes + week)
    return found


def _likes_of_repo(since=None):
    query = RepoLike.select(fn.COUNT(RepoLike.id)).where(RepoLike.repo == Repo.id)
    return query if since is None else query.where(RepoLike.created_at >= since)


def _downloads_of_repo(days: int):
    return fn.COALESCE(RepoDownloadDay.select(fn.SUM(RepoDownloadDay.downloads)).where(
        (RepoDownloadDay.repo == Repo.id) & (RepoDownloadDay.day >= _since(days))), 0)


def popularity_order(sort: str):
    """The ordering expression of a listing sorted by ``likes``, ``downloads`` or ``trendingScore`` (the
    same values stats_of_repos shows), or None for another key."""
    if sort == "likes":
        return fn.COALESCE(_likes_of_repo(), 0)
    if sort == "downloads":
        return _downloads_of_repo(DOWNLOAD_DAYS)
    if sort == "trendingScore":
        recent = fn.COALESCE(_likes_of_repo(utcnow() - timedelta(days=TRENDING_DAYS)), 0)
        return recent * TRENDING_LIKE_WEIGHT + _downloads_of_repo(TRENDING_DAYS)
    return None
