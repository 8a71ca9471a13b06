"""Counted downloads: the visits already counted in the current windows, and the per-day totals.

These functions take the database explicitly: they run on the download counter's own thread, which must
write to the hub that recorded the visits whatever the process-wide model binding points at.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from peewee import Database

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import DownloadVisit, Repo, RepoDownloadDay

Visit = tuple[int, str, int, date]  # repo id, visitor digest, window number, day of the window (UTC)


ROWS_PER_INSERT = 300  # 3 parameters a row: far below SQLite's limit of 32766


def record_visits(db: Database, visits: list[Visit], *, oldest_window: int) -> int:
    """Count each visit not counted yet (one per repo, visitor and window, across every worker), add them to
    their repo's day and all-time totals, and forget visits of windows before ``oldest_window``; return how
    many were counted. Visits of repos deleted meanwhile are dropped."""
    days = {window: day for _, _, window, day in visits}
    with write_transaction(db):
        ids = sorted({visit[0] for visit in visits})
        alive = {row[0] for row in db.execute(Repo.select(Repo.id).where(Repo.id.in_(ids))).fetchall()}
        rows = sorted({(repo_id, visitor, window) for repo_id, visitor, window, _ in visits if repo_id in alive})
        counted: Counter[tuple[int, date]] = Counter()
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = [{"repo": r, "visitor": v, "window": w} for r, v, w in rows[start:start + ROWS_PER_INSERT]]
            # RETURNING gives the rows really inserted: a visit another worker counted first is ignored.
            insert = DownloadVisit.insert_many(chunk).on_conflict_ignore().returning(
                DownloadVisit.repo, DownloadVisit.window)
            for repo_id, window in db.execute(insert).fetchall():
                counted[(repo_id, days[window])] += 1
        per_repo: Counter[int] = Counter()
        for (repo_id, day), n in counted.items():
            db.execute(RepoDownloadDay.insert(repo=repo_id, day=day, downloads=n).on_conflict(
                conflict_target=[RepoDownloadDay.repo, RepoDownloadDay.day],
                update={RepoDownloadDay.downloads: RepoDownloadDay.downloads + n}))
            per_repo[repo_id] += n
        for repo_id, n in per_repo.items():
            db.execute(Repo.update(downloads=Repo.downloads + n).where(Repo.id == repo_id))
        db.execute(DownloadVisit.delete().where(DownloadVisit.window < oldest_window))
    return sum(per_repo.values())
