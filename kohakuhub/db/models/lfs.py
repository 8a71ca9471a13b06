"""LFS objects and who may reach them.

Object bytes are shared across repos (stored once by sha256) but an object is reachable only through a
repo whose history references it, or by the user who uploaded and verified it (before it is committed).
"""

from __future__ import annotations

from peewee import AutoField, BigIntegerField, CharField, DateTimeField, ForeignKeyField, TextField

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow
from kohakuhub.db.models.repos import Repo


class LfsObject(BaseModel):
    """A stored object whose sha256 and size were verified."""

    oid = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()
    created_at = DateTimeField(default=utcnow)
    # Where the bytes are when not under ``lfs_key(oid)``: a verified S3 multipart upload stays where it
    # was assembled (services/lfs_direct.py). Never changes once set.
    storage_key = CharField(max_length=255, null=True)


class RepoLfsObject(BaseModel):
    """The repo's history references the object."""

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="lfs_objects", on_delete="CASCADE")
    oid = CharField(max_length=64, index=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "oid"), True),)


class LfsGrant(BaseModel):
    """The user proved possession of the object's bytes (uploaded them) and may commit it."""

    id = AutoField()
    user = ForeignKeyField(User, backref="lfs_grants", on_delete="CASCADE")
    oid = CharField(max_length=64, index=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "oid"), True),)


class OpenMultipartUpload(BaseModel):
    """An S3 multipart upload the hub started and has not completed or aborted yet.

    The sweep of abandoned uploads reads this rather than only listing the bucket's uploads: MinIO lists
    multipart uploads for an exact key only, never under a prefix (minio/minio#20989).
    """

    key = CharField(max_length=255, primary_key=True)
    upload_id = TextField()
    started_at = DateTimeField(default=utcnow, index=True)
