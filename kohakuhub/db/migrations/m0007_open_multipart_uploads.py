"""Migration 7: the S3 multipart uploads the hub has started and not finished (for the abandoned-upload sweep).

Uploads started before this version are not listed here; the sweep still finds those through the bucket's
own listing where the server has one (AWS, R2), and MinIO expires stale uploads itself.
"""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, Model, TextField

from kohakuhub.db.models.base import utcnow


class OpenMultipartUpload(Model):
    key = CharField(max_length=255, primary_key=True)
    upload_id = TextField()
    started_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        legacy_table_names = False


def apply(db: Database) -> None:
    with db.bind_ctx([OpenMultipartUpload]):
        db.create_tables([OpenMultipartUpload])
