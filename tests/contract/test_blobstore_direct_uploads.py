"""The direct-upload part of the BlobStore port (stores with ``direct_uploads``: S3), on the tests' moto.

Presigned URLs are used here as a client would (plain HTTP, no credentials); their signatures are checked
in tests/unit/test_storage_s3_signing.py, since moto does not check them.
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
from tests.s3_support import ACCESS_KEY, SECRET_KEY, s3_settings

PART = 4096  # the tests' moto accepts parts from 1 KiB


@pytest.fixture
def store() -> BlobStore:
    from kohakuhub.storage.s3 import S3BlobStore

    settings = s3_settings()
    s3 = S3BlobStore(bucket=str(settings["s3_bucket"]), endpoint=str(settings["s3_endpoint"]),
                     access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    s3.ensure_bucket()
    return s3


def test_only_s3_takes_direct_uploads(store, tmp_path):
    assert store.direct_uploads
    assert not MemoryBlobStore().direct_uploads and not LocalBlobStore(tmp_path).direct_uploads


def test_presigned_put_then_head_sha256_copy(store):
    data = b"payload" * 1000
    assert httpx.put(store.presigned_put_url("staging/a", expires_in=60), content=data).status_code == 200
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
    data = random.Random(5).randbytes(10240)  # parts of 4096, 4096, 2048, all different
    upload_id = store.create_multipart_upload("staging/m")
    assert [p.upload_id for p in store.list_multipart_uploads("staging/")] == [upload_id]
    etags = {}
    for number in (3, 1, 2):  # any order
        url = store.presigned_part_url("staging/m", upload_id, number, expires_in=60)
        put = httpx.put(url, content=data[(number - 1) * PART: number * PART])
        assert put.status_code == 200
        etags[number] = put.headers["etag"]
    with pytest.raises(IntegrityError):  # a wrong etag
        store.complete_multipart_upload("staging/m", upload_id, [(1, etags[1]), (2, etags[1]), (3, etags[3])])
    store.complete_multipart_upload("staging/m", upload_id, [(n, etags[n]) for n in (1, 2, 3)])
    assert b"".join(store.read_range("staging/m")) == data
    assert list(store.list_multipart_uploads("staging/")) == []

    other = store.create_multipart_upload("staging/n")
    store.abort_multipart_upload("staging/n", other)
    store.abort_multipart_upload("staging/n", other)  # unknown upload: not an error
    assert list(store.list_multipart_uploads("staging/")) == []
    with pytest.raises(NotFoundError):
        store.complete_multipart_upload("staging/nope", "no-such-upload", [(1, etags[1])])


def test_list_objects_older_than(store):
    store.put_bytes("staging/old", b"x")
    store.put_bytes("other/old", b"x")
    future = datetime.now(UTC) + timedelta(minutes=5)
    past = datetime.now(UTC) - timedelta(minutes=5)
    assert list(store.list_objects_older_than("staging/", future)) == ["staging/old"]
    assert list(store.list_objects_older_than("staging/", past)) == []
