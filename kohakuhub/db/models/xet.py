"""Xet content-addressed storage: xorbs, the files reconstructed from them, and who may reuse them.

Hashes are stored as the 64-character strings of the Xet specification's hash-to-string procedure
(the form the CAS API uses in paths). A Xet file is also an LFS object (``LfsObject`` with the file's
sha256), so commits, reachability, git-lfs and quotas treat both kinds of upload the same way; only
where the bytes live differs.
"""

from __future__ import annotations

from peewee import AutoField, BigIntegerField, BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow


class XetXorb(BaseModel):
    """A verified xorb in the blob store. ``chunks`` packs (hash, byte offset, unpacked size) per chunk."""

    hash = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()  # bytes stored (the serialized xorb as uploaded)
    data_length = BigIntegerField()  # bytes of the chunk section (where a footer would start)
    unpacked_bytes = BigIntegerField()
    chunk_count = IntegerField()
    chunks = BlobField()
    # The first file registered from this xorb (its oid): that file is charged the xorb's bytes.
    claimed_by = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)


class XetXorbGrant(BaseModel):
    """The user uploaded the xorb or registered a file built from it: global dedup may offer it to them."""

    id = AutoField()
    user = ForeignKeyField(User, backref="xet_xorb_grants", on_delete="CASCADE")
    xorb = CharField(max_length=64, index=True)

    class Meta:
        indexes = ((("user", "xorb"), True),)


class XetDedupChunk(BaseModel):
    """A chunk eligible for global dedup (specification: deduplication) and the xorb holding it."""

    chunk_hash = CharField(max_length=64, primary_key=True)
    xorb = CharField(max_length=64)


class XetFile(BaseModel):
    """A file registered by a shard. ``terms`` packs (xorb hash, first chunk, end chunk, unpacked bytes)."""

    oid = CharField(max_length=64, primary_key=True)  # sha256 of the content: what commits reference
    file_hash = CharField(max_length=64, unique=True)
    size = BigIntegerField()
    # Bytes of the xorbs this file brought into storage (0 when it fully deduplicated against earlier
    # uploads): what quotas charge for it, instead of its size.
    stored_bytes = BigIntegerField()
    terms = BlobField()
    created_at = DateTimeField(default=utcnow)
