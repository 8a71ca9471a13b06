"""Migration 5: Xet storage (xorbs, files reconstructed from them, dedup index, xorb grants).

The tables are declared here as they are at version 5, independent of the live models (see m0001).
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
)

from kohakuhub.db.models.base import utcnow


class _V5(Model):
    class Meta:
        legacy_table_names = False


class User(_V5):
    """Only the key the grants reference; the table exists since version 1."""

    id = AutoField()


class XetXorb(_V5):
    hash = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()
    data_length = BigIntegerField()
    unpacked_bytes = BigIntegerField()
    chunk_count = IntegerField()
    chunks = BlobField()
    claimed_by = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)


class XetXorbGrant(_V5):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    xorb = CharField(max_length=64, index=True)

    class Meta:
        indexes = ((("user", "xorb"), True),)


class XetDedupChunk(_V5):
    chunk_hash = CharField(max_length=64, primary_key=True)
    xorb = CharField(max_length=64)


class XetFile(_V5):
    oid = CharField(max_length=64, primary_key=True)
    file_hash = CharField(max_length=64, unique=True)
    size = BigIntegerField()
    stored_bytes = BigIntegerField()
    terms = BlobField()
    created_at = DateTimeField(default=utcnow)


V5_TABLES = [XetXorb, XetXorbGrant, XetDedupChunk, XetFile]


def apply(db: Database) -> None:
    with db.bind_ctx([User, *V5_TABLES]):
        db.create_tables(V5_TABLES)
