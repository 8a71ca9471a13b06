"""Migration 6: an LFS object may be stored under its own key (a verified S3 multipart upload, kept in place).

NULL, the value of every existing row, means the object is under ``lfs_key(oid)`` as before.
"""

from __future__ import annotations

from peewee import Database


def apply(db: Database) -> None:
    db.execute_sql("ALTER TABLE lfs_object ADD COLUMN storage_key VARCHAR(255)")
