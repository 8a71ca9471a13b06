"""Discussions and pull requests: the queries their service asks (each a question or one atomic change).

Rows leave this module as the frozen records of ``kohakuhub.types`` with their people resolved, so no
caller triggers lazy loads (one query per author) or holds a row across transactions.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from peewee import IntegrityError, fn

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import CommentRevision, Discussion, DiscussionEvent, User, utcnow
from kohakuhub.types import CommentVersion, DiscussionEventInfo, DiscussionInfo, Person

# Two writers taking the same next number: one insert fails on the (repo, num) index and is retried.
NUMBER_ATTEMPTS = 8


def _new_public_id() -> str:
    return secrets.token_hex(12)


def _people(user_ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = User.select(User.id, User.username, User.fullname).where(User.id.in_(list(wanted)))
    return {row.id: Person(row.username, row.fullname or "") for row in rows}


def _info(row: Discussion, people: dict[int, Person], comments: int = 0) -> DiscussionInfo:
    return DiscussionInfo(
        id=row.id, num=row.num, title=row.title, status=row.status, is_pull_request=row.is_pull_request,
        author=people.get(row.author_id), author_id=row.author_id, created_at=row.created_at,
        updated_at=row.updated_at, target_branch=row.target_branch, base_commit=row.base_commit,
        merge_commit=row.merge_commit, num_comments=comments,
    )


def insert_discussion(repo_id: int, *, author_id: int, title: str, is_pull_request: bool, status: str,
                      description: str | None, target_branch: str | None = None,
                      base_commit: str | None = None) -> DiscussionInfo:
    """Create a discussion with the repo's next number, and its description as the first comment.

    Raises:
        IntegrityError: no free number after several attempts (only under extreme contention).
    """
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with write_transaction(database_proxy.obj):
                num = (Discussion.select(fn.MAX(Discussion.num)).where(Discussion.repo == repo_id).scalar() or 0) + 1
                now = utcnow()
                row = Discussion.create(repo=repo_id, num=num, title=title, author=author_id,
                                        is_pull_request=is_pull_request, status=status, target_branch=target_branch,
                                        base_commit=base_commit, created_at=now, updated_at=now)
                if description:
                    DiscussionEvent.create(public_id=_new_public_id(), discussion=row.id, kind="comment",
                                           author=author_id, created_at=now, content=description)
                return _info(row, _people([author_id]), 1 if description else 0)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def delete_discussion(discussion_id: int) -> None:
    """Remove a discussion and its events (undoing a creation whose git part failed)."""
    with write_transaction(database_proxy.obj):
        Discussion.delete().where(Discussion.id == discussion_id).execute()


def find_discussion(repo_id: int, num: int) -> DiscussionInfo | None:
    """The repo's discussion number ``num``, or None."""
    row = Discussion.get_or_none((Discussion.repo == repo_id) & (Discussion.num == num))
    if row is None:
        return None
    return _info(row, _people([row.author_id]), _comment_counts([row.id]).get(row.id, 0))


def list_discussions(repo_id: int, *, author: str | None, pull_requests: bool | None,
                     statuses: Sequence[str] | None, search: str | None, offset: int,
                     limit: int) -> tuple[list[DiscussionInfo], int]:
    """A page of the repo's discussions matching the filters, newest first, and how many match in all.

    ``author`` is a username (any case), ``pull_requests`` True/False keeps only pull requests or only
    discussions, ``search`` a case-insensitive part of the title.
    """
    query = Discussion.select().where(Discussion.repo == repo_id)
    if author is not None:
        query = query.join(User, on=(Discussion.author == User.id)).where(User.username_key == author.lower())
    if pull_requests is not None:
        query = query.where(Discussion.is_pull_request == pull_requests)
    if statuses is not None:
        query = query.where(Discussion.status.in_(list(statuses)))
    if search:
        query = query.where(fn.LOWER(Discussion.title).contains(search.lower()))
    total = query.count()
    rows = list(query.order_by(Discussion.num.desc()).offset(offset).limit(limit))
    people = _people(row.author_id for row in rows)
    counts = _comment_counts([row.id for row in rows])
    return [_info(row, people, counts.get(row.id, 0)) for row in rows], total


def _comment_counts(discussion_ids: list[int]) -> dict[int, int]:
    if not discussion_ids:
        return {}
    rows = (DiscussionEvent.select(DiscussionEvent.discussion, fn.COUNT(DiscussionEvent.id).alias("n"))
            .where(DiscussionEvent.discussion.in_(discussion_ids) & (DiscussionEvent.kind == "comment"))
            .group_by(DiscussionEvent.discussion).tuples())
    return {discussion: n for discussion, n in rows}


def events_of(discussion_id: int) -> list[DiscussionEventInfo]:
    """Every stored event of a discussion, oldest first, with each comment's replaced versions."""
    rows = list(DiscussionEvent.select().where(DiscussionEvent.discussion == discussion_id)
                .order_by(DiscussionEvent.created_at, DiscussionEvent.id))
    revisions: dict[int, list[CommentRevision]] = {}
    if rows:
        for rev in (CommentRevision.select().where(CommentRevision.event.in_([r.id for r in rows]))
                    .order_by(CommentRevision.written_at.desc(), CommentRevision.id.desc())):
            revisions.setdefault(rev.event_id, []).append(rev)
    people = _people([uid for r in rows for uid in (r.author_id, r.edited_by_id, r.hidden_by_id)]
                     + [rev.author_id for revs in revisions.values() for rev in revs])
    return [_event(r, people, revisions.get(r.id, [])) for r in rows]


def _event(row: DiscussionEvent, people: dict[int, Person], revisions: list[CommentRevision]) -> DiscussionEventInfo:
    return DiscussionEventInfo(
        public_id=row.public_id, kind=row.kind, author=people.get(row.author_id), author_id=row.author_id,
        created_at=row.created_at, content=row.content, edited_at=row.edited_at,
        edited_by=people.get(row.edited_by_id), hidden=row.hidden, hidden_by=people.get(row.hidden_by_id),
        history=tuple(CommentVersion(r.content, people.get(r.author_id), r.written_at) for r in revisions),
        new_status=row.new_status, old_title=row.old_title, new_title=row.new_title,
    )


def _event_by_id(event_id: int) -> DiscussionEventInfo:
    row = DiscussionEvent.get_by_id(event_id)
    revisions = list(CommentRevision.select().where(CommentRevision.event == event_id)
                     .order_by(CommentRevision.written_at.desc(), CommentRevision.id.desc()))
    people = _people([row.author_id, row.edited_by_id, row.hidden_by_id] + [r.author_id for r in revisions])
    return _event(row, people, revisions)


def find_comment(discussion_id: int, public_id: str) -> DiscussionEventInfo | None:
    """The discussion's comment with this id, or None (other kinds of event are not comments)."""
    row = DiscussionEvent.get_or_none((DiscussionEvent.discussion == discussion_id)
                                      & (DiscussionEvent.public_id == public_id) & (DiscussionEvent.kind == "comment"))
    return None if row is None else _event_by_id(row.id)


def _touch(discussion_id: int, when: datetime, **changes: object) -> None:
    Discussion.update(updated_at=when, **changes).where(Discussion.id == discussion_id).execute()


def add_comment(discussion_id: int, author_id: int, content: str) -> DiscussionEventInfo:
    """Append a comment."""
    with write_transaction(database_proxy.obj):
        now = utcnow()
        row = DiscussionEvent.create(public_id=_new_public_id(), discussion=discussion_id, kind="comment",
                                     author=author_id, created_at=now, content=content)
        _touch(discussion_id, now)
    return _event_by_id(row.id)


def rename_discussion(discussion_id: int, author_id: int, title: str) -> DiscussionEventInfo:
    """Change the title and record the change (with the title it replaced)."""
    with write_transaction(database_proxy.obj):
        old = Discussion.select(Discussion.title).where(Discussion.id == discussion_id).scalar()
        now = utcnow()
        row = DiscussionEvent.create(public_id=_new_public_id(), discussion=discussion_id, kind="title-change",
                                     author=author_id, created_at=now, old_title=old, new_title=title)
        _touch(discussion_id, now, title=title)
    return _event_by_id(row.id)


def change_status(discussion_id: int, author_id: int, status: str, *, expected: Sequence[str],
                  comment: str | None = None, merge_commit: str | None = None) -> list[DiscussionEventInfo] | None:
    """Move the discussion to ``status`` if it is in one of the ``expected`` statuses, recording the change
    (after the comment, if one is given). Returns the new events, or None when the status was not one of
    ``expected`` (someone changed it meanwhile): then nothing was written."""
    with write_transaction(database_proxy.obj):
        now = utcnow()
        changes: dict[str, object] = {"status": status, "updated_at": now}
        if merge_commit is not None:
            changes["merge_commit"] = merge_commit
        moved = Discussion.update(**changes).where((Discussion.id == discussion_id)
                                                   & Discussion.status.in_(list(expected))).execute()
        if not moved:
            return None
        ids = []
        if comment:
            ids.append(DiscussionEvent.create(public_id=_new_public_id(), discussion=discussion_id, kind="comment",
                                              author=author_id, created_at=now, content=comment).id)
        ids.append(DiscussionEvent.create(public_id=_new_public_id(), discussion=discussion_id,
                                          kind="status-change", author=author_id, created_at=now,
                                          new_status=status).id)
    return [_event_by_id(i) for i in ids]


def _comment_row(discussion_id: int, public_id: str) -> DiscussionEvent:
    return DiscussionEvent.get((DiscussionEvent.discussion == discussion_id)
                               & (DiscussionEvent.public_id == public_id) & (DiscussionEvent.kind == "comment"))


def edit_comment(discussion_id: int, public_id: str, editor_id: int, content: str) -> DiscussionEventInfo:
    """Replace a comment's text, keeping the replaced version in its history."""
    with write_transaction(database_proxy.obj):
        row = _comment_row(discussion_id, public_id)
        CommentRevision.create(event=row.id, content=row.content or "",
                               author=row.edited_by_id if row.edited_at else row.author_id,
                               written_at=row.edited_at or row.created_at)
        now = utcnow()
        DiscussionEvent.update(content=content, edited_at=now, edited_by=editor_id).where(
            DiscussionEvent.id == row.id).execute()
        _touch(discussion_id, now)
    return _event_by_id(row.id)


def hide_comment(discussion_id: int, public_id: str, by_id: int) -> DiscussionEventInfo:
    """Hide a comment for good: its text and every older version are erased (as on the Hub, irreversible)."""
    with write_transaction(database_proxy.obj):
        row = _comment_row(discussion_id, public_id)
        CommentRevision.delete().where(CommentRevision.event == row.id).execute()
        DiscussionEvent.update(content="", hidden=True, hidden_by=by_id).where(DiscussionEvent.id == row.id).execute()
        _touch(discussion_id, utcnow())
    return _event_by_id(row.id)
