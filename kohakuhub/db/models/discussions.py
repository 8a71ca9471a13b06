"""Discussions and pull requests of repos (the Hub's Community tab), their events and comment edits.

A pull request is a discussion with ``is_pull_request``; both share one number sequence per repo. Git
keeps what a pull request contains (``refs/pr/<num>``); these tables keep what people said and decided.
Authors are nullable: a deleted user's discussions stay, shown as authored by "deleted" (as on the Hub).
"""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow
from kohakuhub.db.models.repos import Repo

MAX_TITLE = 200  # the Hub's limit (huggingface_hub's create_discussion: 3 to 200 characters)


class Discussion(BaseModel):
    id = AutoField()
    repo = ForeignKeyField(Repo, backref="discussions", on_delete="CASCADE")
    num = IntegerField()
    title = CharField(max_length=MAX_TITLE)
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    is_pull_request = BooleanField(default=False)
    status = CharField(max_length=8)  # "open" | "closed"; pull requests also "draft" | "merged"
    # Pull requests only: the branch it merges into, the commit refs/pr/<num> started from, the merge result.
    target_branch = CharField(max_length=255, null=True)
    base_commit = CharField(max_length=40, null=True)
    merge_commit = CharField(max_length=40, null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "num"), True),)


class DiscussionEvent(BaseModel):
    """A comment, a status change or a title change (commits of a pull request are read from git)."""

    id = AutoField()
    public_id = CharField(max_length=24, unique=True)  # 24 lowercase hex, as the Hub's event ids
    discussion = ForeignKeyField(Discussion, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=16)  # "comment" | "status-change" | "title-change"
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    # comment: the current text, its last edit, and whether it was hidden (its text is then erased)
    content = TextField(null=True)
    edited_at = DateTimeField(null=True)
    edited_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    hidden = BooleanField(default=False)
    hidden_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # status-change: the new status; title-change: the old and new titles
    new_status = CharField(max_length=8, null=True)
    old_title = CharField(max_length=MAX_TITLE, null=True)
    new_title = CharField(max_length=MAX_TITLE, null=True)


class CommentRevision(BaseModel):
    """A version of a comment that an edit replaced (the comment's edit history)."""

    id = AutoField()
    event = ForeignKeyField(DiscussionEvent, backref="revisions", on_delete="CASCADE")
    content = TextField()
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    written_at = DateTimeField()  # when this version was written (the comment's creation or an edit)
