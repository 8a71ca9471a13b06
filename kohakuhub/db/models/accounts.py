"""Users (and organizations, which share their namespace), sessions, API tokens, login failures."""

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
    # A disabled user cannot log in; their sessions and tokens were deleted when they were disabled.
    disabled = BooleanField(default=False)
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
    last_seen_at = DateTimeField(null=True)
    user_agent = CharField(max_length=255, default="")
    address = CharField(max_length=64, default="")


class Token(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = CharField(max_length=255)
    token_hash = CharField(max_length=64, unique=True)
    role = CharField(max_length=16, default="write")  # "read" | "write"
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)  # None: never expires


class LoginFailure(BaseModel):
    """One failed (or in-flight) login attempt, keyed ``user:<name>`` or ``addr:<address>``.

    Kept in the database, not in memory, so the limit holds across uvicorn workers and restarts.
    """

    id = AutoField()
    key = CharField(max_length=160, index=True)
    created_at = DateTimeField(default=utcnow, index=True)
