"""Users (and organizations, which share their namespace), login sessions and API tokens."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from kohakuhub.db.models.base import BaseModel, utcnow


class User(BaseModel):
    id = AutoField()
    username = CharField(max_length=96, unique=True)
    # Lower-cased name: user and repo namespaces are case-insensitively unique, as on the Hub.
    username_key = CharField(max_length=96, unique=True)
    email = CharField(max_length=254, unique=True)
    password_hash = CharField(max_length=255)
    fullname = CharField(max_length=255, default="")
    is_admin = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    # Organizations are rows of this table too (as in upstream KohakuHub), so user and org names share one
    # case-insensitive namespace through ``username_key``. An org never logs in nor owns tokens: its
    # password hash is not a valid hash and its email a placeholder (migration 3).
    is_org = BooleanField(default=False)
    description = TextField(default="")


class Session(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()


class Token(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = CharField(max_length=255)
    token_hash = CharField(max_length=64, unique=True)
    role = CharField(max_length=16, default="write")  # "read" | "write"
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
