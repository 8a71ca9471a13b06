"""LFS transfer on S3 (issue 5): presigned uploads to staging keys, verification, multipart, downloads
by 302, abandoned uploads and an unreachable S3. Runs on the tests' MinIO server in both suite modes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from kohakuhub.db.models import LfsGrant, LfsObject, OpenMultipartUpload
from kohakuhub.storage.base import lfs_key
from tests.api.helpers import (
    LFS_HEADERS,
    assert_error,
    bearer,
    commit,
    create_repo,
    head,
    lfs_batch,
    lfs_op,
    sha256,
)
from tests.conftest import PASSWORD
from tests.s3_support import s3, s3_settings
from tests.servers.minio import MIN_PART_SIZE, MinioServer

DATA = bytes(range(256)) * 8  # 2 KiB: single PUT
CHUNK = MIN_PART_SIZE  # S3's smallest part
MULTI = bytes(range(251)) * 42200  # 10.1 MiB: 3 parts, the last one 103 KiB (multipart threshold 64 KiB)
PARTS = 3


@pytest.fixture
def s3hub(make_hub):
    return make_hub(**s3_settings(), lfs_multipart_chunk_size_bytes=CHUNK)


def _visible(hub, oid: str) -> bool:
    return LfsObject.get_or_none(LfsObject.oid == oid) is not None or hub.lfs.store.stat(lfs_key(oid)) is not None


def _staged_keys(hub) -> list[str]:
    """Uploaded bytes that are not (yet) a recorded object: single PUTs and unverified multipart uploads."""
    recorded = {row.storage_key for row in LfsObject.select(LfsObject.storage_key)}
    return [key for prefix in ("staging/", "uploads/") for key in hub.lfs.store.list_keys(prefix)
            if key not in recorded]


def _open_multipart_uploads(hub) -> list[str]:
    """Keys of the multipart uploads the hub knows to be open (MinIO cannot list them under a prefix)."""
    recorded = [row.key for row in OpenMultipartUpload.select()]
    # Each one asked of S3 by its exact key: the record and the server agree.
    assert all(any(p.key == key for p in hub.lfs.store.list_multipart_uploads(key)) for key in recorded)
    return recorded


def _action(h, data: bytes, repo: str = "alice/m") -> dict:
    resp = lfs_batch(h.client, h.token, repo, [(sha256(data), len(data))])
    assert resp.status_code == 200, resp.text
    [obj] = resp.json()["objects"]
    return obj


def _verify(h, obj: dict, data: bytes):
    return h.client.post(obj["actions"]["verify"]["href"], json={"oid": sha256(data), "size": len(data)},
                         headers={**LFS_HEADERS, **bearer(h.token)})


def _put_parts(client, header: dict, data: bytes, order) -> dict[int, str]:
    etags = {}
    for number in order:
        put = client.put(header[str(number)], content=data[(number - 1) * CHUNK: number * CHUNK])
        assert put.status_code == 200, put.text
        etags[number] = put.headers["etag"]
    return etags


def _complete(h, obj: dict, data: bytes, parts: list[dict]):
    return h.client.post(obj["actions"]["upload"]["href"], json={"oid": sha256(data), "parts": parts},
                         headers=LFS_HEADERS)


# --- single PUT ------------------------------------------------------------------------------------


def test_single_put_goes_to_a_staging_key_and_becomes_visible_only_after_verify(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    obj = _action(h, DATA)
    href = urlsplit(obj["actions"]["upload"]["href"])
    assert f"{href.scheme}://{href.netloc}" == s3().endpoint  # straight to S3, not through the hub
    assert "/staging/" in href.path and lfs_key(sha256(DATA)) not in href.path
    assert "chunk_size" not in (obj["actions"]["upload"].get("header") or {})

    assert h.client.put(obj["actions"]["upload"]["href"], content=DATA).status_code == 200
    assert not _visible(hub, sha256(DATA))  # uploaded but not verified: not an object yet
    assert _verify(h, obj, DATA).status_code == 200
    assert _visible(hub, sha256(DATA)) and b"".join(hub.lfs.store.read_range(lfs_key(sha256(DATA)))) == DATA
    assert _staged_keys(hub) == []
    assert LfsGrant.get_or_none(LfsGrant.oid == sha256(DATA)) is not None
    assert _verify(h, obj, DATA).status_code == 200  # verify again: harmless
    assert "actions" not in _action(h, DATA)  # present and reachable for this caller now


def test_wrong_bytes_put_to_a_presigned_url_are_rejected_at_verify_and_never_visible(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    oid = sha256(DATA)
    before = head(h.client, h.token, "alice/m")
    tampered = bytearray(DATA)
    tampered[0] ^= 1
    obj = _action(h, DATA)
    # Bytes of the announced size: S3 takes them (it cannot know the sha256), the hub's check does not.
    assert h.client.put(obj["actions"]["upload"]["href"], content=bytes(tampered)).status_code == 200
    assert_error(_verify(h, obj, DATA), 400)
    assert not _visible(hub, oid) and not _visible(hub, sha256(bytes(tampered)))
    assert _staged_keys(hub) == []  # the wrong upload is deleted
    assert_error(_verify(h, obj, DATA), 404)  # and stays rejected
    for body in (DATA[:-1], DATA + b"x"):  # another size: the signature covers Content-Length
        obj = _action(h, DATA)
        refused = h.client.put(obj["actions"]["upload"]["href"], content=body)
        assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text
        assert _staged_keys(hub) == []
        assert_error(_verify(h, obj, DATA), 404)
    resp = commit(h.client, h.token, "alice/m", [lfs_op("w.bin", DATA)], expect=None)
    assert 400 <= resp.status_code < 500
    assert head(h.client, h.token, "alice/m") == before


def test_verify_before_any_upload_is_404(s3hub):
    h = s3hub
    create_repo(h.client, h.token, "m")
    assert_error(_verify(h, _action(h, DATA), DATA), 404)


# --- multipart -------------------------------------------------------------------------------------


def test_multipart_upload_parts_in_any_order_completion_twice_is_harmless(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    obj = _action(h, MULTI)
    upload = obj["actions"]["upload"]
    header = upload["header"]
    assert header["chunk_size"] == str(CHUNK) and sorted(k for k in header if k != "chunk_size") == [
        str(n) for n in range(1, PARTS + 1)]
    assert all(urlsplit(header[str(n)]).netloc == urlsplit(s3().endpoint).netloc for n in range(1, PARTS + 1))
    assert upload["href"].startswith("http://testserver/api/lfs/complete/")  # completion on the hub
    assert len(_open_multipart_uploads(hub)) == 1
    etags = _put_parts(h.client, header, MULTI, [3, 1, 2])
    parts = [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)]
    assert not _visible(hub, sha256(MULTI))
    first = _complete(h, obj, MULTI, parts)
    assert first.status_code == 200, first.text
    assert _visible(hub, sha256(MULTI))
    # Kept where S3 assembled it: no copy to lfs/aa/bb/<oid>.
    key = hub.lfs.object_key(sha256(MULTI))
    assert key.startswith("uploads/") and hub.lfs.store.stat(lfs_key(sha256(MULTI))) is None
    assert b"".join(hub.lfs.store.read_range(key)) == MULTI
    again = _complete(h, obj, MULTI, parts)
    assert again.status_code == 200, again.text
    assert _verify(h, obj, MULTI).status_code == 200
    assert _staged_keys(hub) == [] and _open_multipart_uploads(hub) == []
    # What keeping it in place relies on: once completed, its part URLs cannot write the key again.
    rewrite = h.client.put(header["1"], content=b"\0" * CHUNK)
    assert rewrite.status_code == 404 and "NoSuchUpload" in rewrite.text
    assert b"".join(hub.lfs.store.read_range(key)) == MULTI
    commit(h.client, h.token, "alice/m", [lfs_op("big.bin", MULTI)])
    got = h.client.get("/alice/m/resolve/main/big.bin", follow_redirects=False)
    assert got.status_code == 302 and "/uploads/" in urlsplit(got.headers["location"]).path


def test_an_object_uploaded_twice_by_multipart_is_stored_once(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    user = hub.accounts.create_user("bob", "bob@example.com", PASSWORD)
    bob = hub.accounts.create_token(user.id, "test")[1]
    create_repo(h.client, bob, "n")
    uploads = []
    for token, repo in ((h.token, "alice/m"), (bob, "bob/n")):  # bob must upload too: no cross-tenant reuse
        [obj] = lfs_batch(h.client, token, repo, [(sha256(MULTI), len(MULTI))]).json()["objects"]
        etags = _put_parts(h.client, obj["actions"]["upload"]["header"], MULTI, range(1, PARTS + 1))
        uploads.append((obj, [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)]))
    for obj, parts in reversed(uploads):  # bob's completes first and is kept; alice's is then deleted
        assert _complete(h, obj, MULTI, parts).status_code == 200
    assert _staged_keys(hub) == [] and _open_multipart_uploads(hub) == []
    assert list(hub.lfs.store.list_keys("uploads/")) == [hub.lfs.object_key(sha256(MULTI))]
    for token, repo in ((h.token, "alice/m"), (bob, "bob/n")):
        commit(h.client, token, repo, [lfs_op("big.bin", MULTI)])
        got = h.client.get(f"/{repo}/resolve/main/big.bin", headers=bearer(token), follow_redirects=False)
        assert h.client.get(got.headers["location"]).content == MULTI


def test_a_multipart_upload_started_before_version_6_is_copied_as_before(s3hub):
    """Multipart uploads used to be staged under staging/, where the sweep deletes old objects."""
    from kohakuhub.services.lfs_direct import new_staging_key

    hub = s3hub.hub
    store, oid = hub.lfs.store, sha256(MULTI)
    key = new_staging_key(oid)
    upload_id = store.create_multipart_upload(key)
    url = store.presigned_part_url(key, upload_id, 1, size=len(MULTI), expires_in=60)
    etag = s3hub.client.put(url, content=MULTI).headers["etag"]
    hub.lfs.direct.complete(key, upload_id, oid, len(MULTI), [(1, etag.strip('"'))], None)
    assert hub.lfs.object_key(oid) == lfs_key(oid)
    assert b"".join(store.read_range(lfs_key(oid))) == MULTI and _staged_keys(hub) == []


def test_multipart_with_missing_duplicated_or_reordered_parts_is_refused(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    obj = _action(h, MULTI)
    header = obj["actions"]["upload"]["header"]
    etags = _put_parts(h.client, header, MULTI, range(1, PARTS))  # the last part never sent
    parts = [{"partNumber": n, "etag": etags.get(n, '"0123456789abcdef0123456789abcdef"')}
             for n in range(1, PARTS + 1)]
    for bad in (parts[:-1], parts + parts[-1:], [parts[1], parts[0], *parts[2:]]):
        assert_error(_complete(h, obj, MULTI, bad), 400)  # list missing, duplicated or reordered
    assert_error(_complete(h, obj, MULTI, parts), 400)  # the last part listed but never uploaded (InvalidPart)
    assert not _visible(hub, sha256(MULTI))
    # The upload is still open: sending the missing part completes it.
    etags.update(_put_parts(h.client, header, MULTI, [PARTS]))
    done = _complete(h, obj, MULTI, [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)])
    assert done.status_code == 200, done.text
    assert _visible(hub, sha256(MULTI))


def test_multipart_duplicated_part_upload_uses_the_listed_etag(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    obj = _action(h, MULTI)
    header = obj["actions"]["upload"]["header"]
    etags = _put_parts(h.client, header, MULTI, range(1, PARTS + 1))
    old_etag = etags[2]
    put = h.client.put(header["2"], content=b"\0" * CHUNK)  # part 2 sent again with other bytes
    assert put.status_code == 200
    # Listing the replaced etag: S3 refuses the part list.
    stale = [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)]
    stale[1]["etag"] = old_etag
    assert_error(_complete(h, obj, MULTI, stale), 400)
    # Listing the new etag: S3 assembles it, the hub's sha256 check rejects it and deletes it.
    stale[1]["etag"] = put.headers["etag"]
    assert_error(_complete(h, obj, MULTI, stale), 400)
    assert not _visible(hub, sha256(MULTI)) and _staged_keys(hub) == []
    assert_error(_complete(h, obj, MULTI, stale), 404)  # a rejected upload stays rejected


def test_multipart_with_wrong_content_is_refused_and_deleted(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    bad = bytearray(MULTI)
    bad[-1] ^= 0xFF
    obj = _action(h, MULTI)
    etags = _put_parts(h.client, obj["actions"]["upload"]["header"], bytes(bad), range(1, PARTS + 1))
    resp = _complete(h, obj, MULTI, [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)])
    assert_error(resp, 400)
    assert "sha256 mismatch" in resp.headers["x-error-message"]
    assert not _visible(hub, sha256(MULTI)) and not _visible(hub, sha256(bytes(bad)))
    assert _staged_keys(hub) == []


def test_tampered_completion_url_is_403(s3hub):
    h = s3hub
    create_repo(h.client, h.token, "m")
    obj = _action(h, MULTI)
    href = obj["actions"]["upload"]["href"]
    forged = href.replace("staged=uploads%2F", "staged=uploads%2F9")
    assert forged != href
    assert_error(h.client.post(forged, json={"oid": sha256(MULTI), "parts": []}, headers=LFS_HEADERS), 403)


# --- downloads -------------------------------------------------------------------------------------


def test_resolve_redirects_to_a_presigned_get_with_the_metadata_on_the_302(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    resp = _action(h, DATA)
    h.client.put(resp["actions"]["upload"]["href"], content=DATA)
    assert _verify(h, resp, DATA).status_code == 200
    commit_id = commit(h.client, h.token, "alice/m", [lfs_op("dir/wéights.bin", DATA)]).json()["commitOid"]
    url = "/alice/m/resolve/main/dir/w%C3%A9ights.bin"

    r = h.client.get(url, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["x-repo-commit"] == commit_id
    assert r.headers["etag"] == r.headers["x-linked-etag"] == f'"{sha256(DATA)}"'
    assert r.headers["x-linked-size"] == str(len(DATA))
    assert "w%C3%A9ights.bin" in r.headers["content-disposition"]
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == s3().endpoint
    query = parse_qs(location.query)
    assert "w%C3%A9ights.bin" in query["response-content-disposition"][0]
    assert int(query["X-Amz-Expires"][0]) == hub.settings.lfs_url_ttl_seconds

    got = h.client.get(url)  # followed: bytes straight from S3, which names the file as signed
    assert got.status_code == 200 and got.content == DATA
    assert got.headers["content-disposition"] == query["response-content-disposition"][0]
    ranged = h.client.get(url, headers={"range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == DATA[10:20]

    meta = h.client.head(url)  # HEAD: the same metadata, answered by the hub itself
    assert meta.status_code == 200
    assert meta.headers["x-repo-commit"] == commit_id and meta.headers["x-linked-size"] == str(len(DATA))
    assert meta.headers["content-length"] == str(len(DATA))

    batch = lfs_batch(h.client, h.token, "alice/m", [(sha256(DATA), len(DATA))], operation="download")
    href = batch.json()["objects"][0]["actions"]["download"]["href"]
    assert href.startswith(s3().endpoint + "/")
    assert h.client.get(href).content == DATA


# --- abandoned uploads -----------------------------------------------------------------------------


def test_abandoned_uploads_are_aborted_after_the_configured_time(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    multi = _action(h, MULTI)
    single = _action(h, DATA)
    h.client.put(single["actions"]["upload"]["href"], content=DATA)  # staged, never verified
    direct = hub.lfs.direct
    assert direct.sweep() == 0  # fresh uploads are kept
    assert len(_open_multipart_uploads(hub)) == 1 and len(_staged_keys(hub)) == 1
    later = time.time() + hub.settings.s3_multipart_abandon_hours * 3600 + 5
    assert direct.sweep(now=later) == 2
    assert _open_multipart_uploads(hub) == [] and _staged_keys(hub) == []
    assert_error(_complete(h, multi, MULTI, [{"partNumber": n, "etag": '"x"'} for n in range(1, PARTS + 1)]), 404)
    assert not _visible(hub, sha256(MULTI)) and not _visible(hub, sha256(DATA))


# --- S3 unavailable --------------------------------------------------------------------------------


@pytest.fixture
def fragile(make_hub):
    """A hub on its own MinIO server, which the test stops."""
    server = MinioServer().start()
    try:
        yield make_hub(**s3_settings(server=server), lfs_multipart_chunk_size_bytes=CHUNK), server
    finally:
        server.stop()


def _assert_503(resp) -> None:
    assert_error(resp, 503)
    assert resp.headers["retry-after"].isdigit()
    assert "retry" in resp.headers["x-error-message"].lower()


def test_s3_down_during_upload_is_a_clean_503_and_writes_nothing(fragile):
    h, server = fragile
    create_repo(h.client, h.token, "m")
    small = _action(h, DATA)
    h.client.put(small["actions"]["upload"]["href"], content=DATA)
    multi = _action(h, MULTI)
    etags = _put_parts(h.client, multi["actions"]["upload"]["header"], MULTI, range(1, PARTS + 1))
    before = head(h.client, h.token, "alice/m")
    server.stop()

    _assert_503(_verify(h, small, DATA))
    _assert_503(_complete(h, multi, MULTI, [{"partNumber": n, "etag": etags[n]} for n in range(1, PARTS + 1)]))
    _assert_503(lfs_batch(h.client, h.token, "alice/m", [(sha256(MULTI + b"x"), len(MULTI) + 1)]))
    # Inline content over the LFS threshold is stored by the hub itself: the commit fails, nothing moves.
    big_inline = bytes(range(256)) * 16
    from tests.api.helpers import file_op

    _assert_503(commit(h.client, h.token, "alice/m", [file_op("inline.bin", big_inline)], expect=None))
    assert head(h.client, h.token, "alice/m") == before
    assert LfsObject.select().count() == 0


def test_s3_down_during_download_does_not_involve_the_hub(fragile):
    h, server = fragile
    create_repo(h.client, h.token, "m")
    obj = _action(h, DATA)
    h.client.put(obj["actions"]["upload"]["href"], content=DATA)
    assert _verify(h, obj, DATA).status_code == 200
    commit(h.client, h.token, "alice/m", [lfs_op("w.bin", DATA)])
    server.stop()
    # Downloads are never proxied: the hub still answers the metadata and the redirect (no S3 call); the
    # client's GET of the presigned URL is what fails, as a connection error it retries.
    assert h.client.head("/alice/m/resolve/main/w.bin").status_code == 200
    assert h.client.get("/alice/m/resolve/main/w.bin", follow_redirects=False).status_code == 302
    # Reads the hub itself makes from S3 fail with a retryable 503-mapped error.
    from kohakuhub.errors import StorageUnavailableError

    with pytest.raises(StorageUnavailableError):
        next(h.hub.lfs.store.read_range(lfs_key(sha256(DATA))))
