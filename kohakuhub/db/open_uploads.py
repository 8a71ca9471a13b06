"""The S3 multipart uploads the hub has started and not yet completed or aborted."""

from __future__ import annotations

from datetime import datetime

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import OpenMultipartUpload


def record_open_upload(key: str, upload_id: str, started_at: datetime) -> None:
    """Remember that a multipart upload to ``key`` (a fresh key) was started at ``started_at`` (naive UTC)."""
    with write_transaction(database_proxy.obj):
        OpenMultipartUpload.insert(key=key, upload_id=upload_id, started_at=started_at).execute()


def forget_open_upload(key: str) -> None:
    """The upload to ``key`` was completed or aborted (nothing happens when it is not recorded)."""
    with write_transaction(database_proxy.obj):
        OpenMultipartUpload.delete().where(OpenMultipartUpload.key == key).execute()


def open_uploads_started_before(cutoff: datetime) -> list[tuple[str, str]]:
    """``(key, upload_id)`` of every recorded upload started before ``cutoff`` (naive UTC)."""
    query = OpenMultipartUpload.select(OpenMultipartUpload.key, OpenMultipartUpload.upload_id).where(
        OpenMultipartUpload.started_at < cutoff)
    return [(row.key, row.upload_id) for row in query]
