"""The direct-upload part of the BlobStore port (stores with ``direct_uploads``: S3), on the tests' MinIO.

Presigned URLs are used here as a client would (plain HTTP, no credentials), and MinIO checks their
signatures; tests/unit/test_storage_s3_signing.py checks what they sign without a server.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kohakuhub.errors import IntegrityError, NotFoundError
from kohakuhub.storage.base import BlobStore
from kohakuhub.storage.local import LocalBlobStore
from kohakuhub.storage.memory import MemoryBlobStore
from tests.s3_support import s3_settings
from tests.servers.minio import MIN_PART_SIZE

PART = MIN_PART_SIZE  # S3 refuses smaller parts (but the last)


@pytest.fixture
def store() -> BlobStore:
    from kohakuhub.storage.s3 import S3BlobStore

    settings = s3_settings()
    s3 = S3BlobStore(bucket=str(settings["s3_bucket"]), endpoint=str(settings["s3_endpoint"]),
                     access_key=str(settings["s3_access_key"]), secret_key=str(settings["s3_secret_key"]))
    s3.ensure_bucket()
    return s3


def test_only_s3_takes_direct_uploads(store, tmp_path):
    assert store.direct_uploads
    assert not MemoryBlobStore().direct_uploads and not LocalBlobStore(tmp_path).direct_uploads


def test_presigned_put_then_head_sha256_copy(store):
    data = b"payload" * 1000
    assert httpx.put(store.presigned_put_url("staging/a", size=len(data), expires_in=60), content=data).status_code == 200
    size, tag = store.head("staging/a")
    assert size == len(data) and tag
    assert store.head("staging/missing") is None
    assert store.sha256("staging/a", if_match=tag) == hashlib.sha256(data).hexdigest()
    store.copy("staging/a", "lfs/aa/bb/final", if_match=tag)
    assert b"".join(store.read_range("lfs/aa/bb/final")) == data
    with pytest.raises(NotFoundError):
        store.sha256("staging/missing", if_match=tag)
    with pytest.raises(NotFoundError):
        store.copy("staging/missing", "x")


def test_an_object_replaced_after_head_is_neither_hashed_nor_copied(store):
    store.put_bytes("staging/b", b"first")
    _, tag = store.head("staging/b")
    store.put_bytes("staging/b", b"second, other bytes")
    with pytest.raises(IntegrityError):
        store.sha256("staging/b", if_match=tag)
    with pytest.raises(IntegrityError):
        store.copy("staging/b", "lfs/x", if_match=tag)
    assert store.stat("lfs/x") is None


def test_multipart_complete_list_and_abort(store):
    data = random.Random(5).randbytes(2 * PART + 2048)  # parts of PART, PART, 2048, all different
    upload_id = store.create_multipart_upload("staging/m")
    # Asked by the exact key: MinIO lists no uploads under a mere prefix (minio/minio#20989).
    assert [p.upload_id for p in store.list_multipart_uploads("staging/m")] == [upload_id]
    etags = {}
    for number in (3, 1, 2):  # any order
        part = data[(number - 1) * PART: number * PART]
        url = store.presigned_part_url("staging/m", upload_id, number, size=len(part), expires_in=60)
        put = httpx.put(url, content=part)
        assert put.status_code == 200
        etags[number] = put.headers["etag"]
    with pytest.raises(IntegrityError):  # a wrong etag
        store.complete_multipart_upload("staging/m", upload_id, [(1, etags[1]), (2, etags[1]), (3, etags[3])])
    store.complete_multipart_upload("staging/m", upload_id, [(n, etags[n]) for n in (1, 2, 3)])
    assert b"".join(store.read_range("staging/m")) == data
    assert list(store.list_multipart_uploads("staging/m")) == []

    other = store.create_multipart_upload("staging/n")
    store.abort_multipart_upload("staging/n", other)
    store.abort_multipart_upload("staging/n", other)  # unknown upload: not an error
    assert list(store.list_multipart_uploads("staging/n")) == []
    with pytest.raises(NotFoundError):
        store.complete_multipart_upload("staging/nope", "no-such-upload", [(1, etags[1])])


def test_list_objects_older_than(store):
    store.put_bytes("staging/old", b"x")
    store.put_bytes("other/old", b"x")
    future = datetime.now(UTC) + timedelta(minutes=5)
    past = datetime.now(UTC) - timedelta(minutes=5)
    assert list(store.list_objects_older_than("staging/", future)) == ["staging/old"]
    assert list(store.list_objects_older_than("staging/", past)) == []
