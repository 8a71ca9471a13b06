"""Migration 9: discussions and pull requests (their numbers, statuses and targets), their events, and the
versions of comments that edits replaced. A pull request's content is its git ref ``refs/pr/<num>``."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def apply(db: Database) -> None:
    class User(Model):
        id = AutoField()

        class Meta:
            table_name = "user"

    class Repo(Model):
        id = AutoField()

        class Meta:
            table_name = "repo"

    class Discussion(Model):
        id = AutoField()
        repo = ForeignKeyField(Repo, on_delete="CASCADE")
        num = IntegerField()
        title = CharField(max_length=200)
        author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        is_pull_request = BooleanField(default=False)
        status = CharField(max_length=8)
        target_branch = CharField(max_length=255, null=True)
        base_commit = CharField(max_length=40, null=True)
        merge_commit = CharField(max_length=40, null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            legacy_table_names = False
            indexes = ((("repo", "num"), True),)

    class DiscussionEvent(Model):
        id = AutoField()
        public_id = CharField(max_length=24, unique=True)
        discussion = ForeignKeyField(Discussion, on_delete="CASCADE")
        kind = CharField(max_length=16)
        author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()
        content = TextField(null=True)
        edited_at = DateTimeField(null=True)
        edited_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        hidden = BooleanField(default=False)
        hidden_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        new_status = CharField(max_length=8, null=True)
        old_title = CharField(max_length=200, null=True)
        new_title = CharField(max_length=200, null=True)

        class Meta:
            legacy_table_names = False

    class CommentRevision(Model):
        id = AutoField()
        event = ForeignKeyField(DiscussionEvent, on_delete="CASCADE")
        content = TextField()
        author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        written_at = DateTimeField()

        class Meta:
            legacy_table_names = False

    models = [User, Repo, Discussion, DiscussionEvent, CommentRevision]
    with db.bind_ctx(models):
        db.create_tables([Discussion, DiscussionEvent, CommentRevision])
