"""The git-lfs batch API and signed transfer URLs (protocol sections 5.4 and 10)."""

from __future__ import annotations

import random
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from kohakuhub.db.models import LfsGrant, LfsObject
from kohakuhub.storage.base import lfs_key
from tests.api.helpers import (
    LFS_HEADERS,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    files,
    head,
    lfs_batch,
    lfs_op,
    lfs_upload,
    sha256,
)
from tests.conftest import CHUNK_SIZE
from tests.s3_support import S3_MODE

DATA = bytes(range(256)) * 8  # 2 KiB: single PUT
# Above the 64 KiB multipart threshold: 100400 bytes in 7 parts of 16 KiB on local storage; on S3, whose
# parts are 5 MiB at least, 10.1 MiB in 3 parts.
MULTI = bytes(range(251)) * (42200 if S3_MODE else 400)
MULTI_PARTS = -(-len(MULTI) // CHUNK_SIZE)


def _stored(hub, oid: str) -> bool:
    return LfsObject.get_or_none(LfsObject.oid == oid) is not None or hub.lfs.store.stat(lfs_key(oid)) is not None


def _upload_action(client, token, repo, data, **kw):
    resp = lfs_batch(client, token, repo, [(sha256(data), len(data))], **kw)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.git-lfs+json")
    [obj] = resp.json()["objects"]
    return obj


@pytest.mark.local_storage
def test_single_put_upload_verify_download(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    obj = _upload_action(client, token, "alice/m", DATA)
    assert obj["oid"] == sha256(DATA) and obj["size"] == len(DATA)
    upload, verify = obj["actions"]["upload"], obj["actions"]["verify"]
    assert upload["href"].startswith("http://testserver/")
    assert "header" not in upload or "chunk_size" not in upload["header"]

    # The client sends no Authorization on the PUT: the href authorizes itself.
    put = client.put(upload["href"], content=DATA)
    assert put.status_code == 200, put.text
    v = client.post(verify["href"], json={"oid": sha256(DATA), "size": len(DATA)},
                    headers={**LFS_HEADERS, **bearer(token)})
    assert v.status_code == 200, v.text

    # Uploading again: already present for this caller, no actions.
    again = _upload_action(client, token, "alice/m", DATA)
    assert "actions" not in again

    commit(client, token, "alice/m", [lfs_op("w.bin", DATA)])
    resp = lfs_batch(client, token, "alice/m", [(sha256(DATA), len(DATA))], operation="download")
    assert resp.status_code == 200
    [obj] = resp.json()["objects"]
    href = obj["actions"]["download"]["href"]
    got = client.get(href)
    assert got.status_code == 200 and got.content == DATA
    part = client.get(href, headers={"range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == DATA[10:20]
    past = client.get(href, headers={"range": f"bytes={len(DATA)}-"})
    assert_error(past, 416)
    # Anonymous download of a public repo works too.
    anon = lfs_batch(client, None, "alice/m", [(sha256(DATA), len(DATA))], operation="download")
    assert "download" in anon.json()["objects"][0]["actions"]


def test_multipart_upload(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m", "dataset")
    oid = sha256(MULTI)
    obj = _upload_action(client, token, "alice/m", MULTI, repo_type="dataset")
    upload = obj["actions"]["upload"]
    header = upload["header"]
    chunk = int(header["chunk_size"])
    assert chunk == CHUNK_SIZE
    parts = MULTI_PARTS
    assert sorted(k for k in header if k != "chunk_size") == sorted(str(n) for n in range(1, parts + 1))

    etags = []
    for number in range(1, parts + 1):
        put = client.put(header[str(number)], content=MULTI[(number - 1) * chunk: number * chunk])
        assert put.status_code == 200, put.text
        assert put.headers["etag"]
        etags.append({"partNumber": number, "etag": put.headers["etag"]})
    assert not _stored(hub_client.hub, oid)  # nothing visible before completion

    # A wrong etag is refused; the object stays invisible.
    wrong = [dict(p) for p in etags]
    wrong[0]["etag"] = '"deadbeef"'
    bad = client.post(upload["href"], json={"oid": oid, "parts": wrong}, headers=LFS_HEADERS)
    assert 400 <= bad.status_code < 500 and bad.headers["x-error-message"]
    assert not _stored(hub_client.hub, oid)

    done = client.post(upload["href"], json={"oid": oid, "parts": etags}, headers=LFS_HEADERS)
    assert done.status_code == 200, done.text
    verify = obj["actions"]["verify"]
    assert client.post(verify["href"], json={"oid": oid, "size": len(MULTI)},
                       headers={**LFS_HEADERS, **bearer(token)}).status_code == 200
    commit(client, token, "alice/m", [lfs_op("big.parquet", MULTI)], repo_type="dataset")
    got = client.get("/datasets/alice/m/resolve/main/big.parquet")
    assert got.status_code == 200 and got.content == MULTI
    # basic-only clients get a single PUT even above the multipart threshold
    other = MULTI + b"x"
    single = _upload_action(client, token, "alice/m", other, repo_type="dataset", multipart=False)
    assert "chunk_size" not in (single["actions"]["upload"].get("header") or {})


@pytest.fixture(params=["buffered", "direct"])
def write_mode(request, monkeypatch):
    """Run a test with uploads written through the page cache, then with O_DIRECT (any size)."""
    from kohakuhub.api.routes import lfs as lfs_routes

    if request.param == "direct":
        monkeypatch.setattr(lfs_routes, "DIRECT_WRITE_MIN_BYTES", 0)
    return request.param


@pytest.mark.local_storage
def test_large_single_put_is_stored_exactly(hub_client):
    """A body above the O_DIRECT threshold, not a multiple of the block size, round-trips byte for byte."""
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    data = random.Random(5).randbytes((9 << 20) + 123)
    obj = _upload_action(client, token, "alice/m", data, multipart=False)
    assert client.put(obj["actions"]["upload"]["href"], content=data).status_code == 200
    commit(client, token, "alice/m", [lfs_op("w.bin", data)])
    got = client.get("/alice/m/resolve/main/w.bin")
    assert got.status_code == 200 and got.content == data


@pytest.mark.local_storage
def test_upload_with_wrong_bytes_or_size_is_refused(hub_client, write_mode):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    hub = hub_client.hub
    oid = sha256(DATA)

    obj = _upload_action(client, token, "alice/m", DATA)
    tampered = bytearray(DATA)
    tampered[0] ^= 1
    resp = client.put(obj["actions"]["upload"]["href"], content=bytes(tampered))
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"] and resp.headers["x-request-id"]
    assert not _stored(hub, oid) and not _stored(hub, sha256(bytes(tampered)))

    resp = client.put(obj["actions"]["upload"]["href"], content=DATA[:-1])  # too short
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    resp = client.put(obj["actions"]["upload"]["href"], content=DATA + b"x")  # too long
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    assert not _stored(hub, oid)
    verify = obj["actions"]["verify"]
    resp = client.post(verify["href"], json={"oid": oid, "size": len(DATA)}, headers={**LFS_HEADERS, **bearer(token)})
    assert resp.status_code == 404
    assert list(hub.settings.spool_dir.glob("upload-*")) == []  # no temp files left behind

    before = head(client, token, "alice/m")
    resp = commit(client, token, "alice/m", [lfs_op("w.bin", DATA)], expect=None)
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    assert head(client, token, "alice/m") == before


def test_multipart_with_wrong_content_is_refused(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    oid = sha256(MULTI)
    obj = _upload_action(client, token, "alice/m", MULTI)
    header = obj["actions"]["upload"]["header"]
    chunk = int(header["chunk_size"])
    bad = bytearray(MULTI)
    bad[-1] ^= 0xFF
    parts = []
    for number in range(1, -(-len(bad) // chunk) + 1):
        put = client.put(header[str(number)], content=bytes(bad[(number - 1) * chunk: number * chunk]))
        parts.append({"partNumber": number, "etag": put.headers["etag"]})
    done = client.post(obj["actions"]["upload"]["href"], json={"oid": oid, "parts": parts}, headers=LFS_HEADERS)
    assert 400 <= done.status_code < 500 and done.headers["x-error-message"]
    assert not _stored(hub_client.hub, oid)
    missing = client.post(obj["actions"]["upload"]["href"], json={"oid": oid, "parts": parts[:-1]},
                          headers=LFS_HEADERS)
    assert 400 <= missing.status_code < 500


def _with_query(href: str, **changes: str) -> str:
    parts = urlsplit(href)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.local_storage
def test_tampered_or_expired_signature_is_403(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    obj = _upload_action(client, token, "alice/m", DATA)
    href = obj["actions"]["upload"]["href"]
    sig = parse_qs(urlsplit(href).query)["sig"][0]
    forged = [
        _with_query(href, sig=("0" if sig[0] != "0" else "1") + sig[1:]),
        _with_query(href, size=str(len(DATA) + 1)),
        _with_query(href, uid="999"),
        _with_query(href, expires=str(int(time.time()) + 99999)),
        href.replace(sha256(DATA), sha256(b"other")),
        href.split("?")[0],
    ]
    for url in forged:
        resp = client.put(url, content=DATA)
        assert_error(resp, 403)
    # Expired: a correctly signed URL whose time has passed.
    path = f"/api/lfs/objects/{sha256(DATA)}"
    query = hub_client.hub.signer.sign(path, purpose="lfs-upload", expires_at=int(time.time()) - 1,
                                       size=str(len(DATA)), uid="1")
    assert_error(client.put(f"{path}?{urlencode(query)}", content=DATA), 403)
    assert not _stored(hub_client.hub, sha256(DATA))
    # Download and verify URLs are signed as well.
    assert_error(client.get(f"/api/lfs/objects/{sha256(DATA)}"), 403)
    assert_error(client.post(f"/api/lfs/verify/{sha256(DATA)}?size=1", json={}), 403)


def test_no_cross_tenant_leak(hub_client):
    client, alice = hub_client.client, hub_client.token
    bob = hub_client.new_user("bob")
    create_repo(client, bob, "bobs", private=True)
    create_repo(client, alice, "alices")
    secret = b"bob's private weights" * 100
    oid = lfs_upload(client, bob, "bob/bobs", secret)
    commit(client, bob, "bob/bobs", [lfs_op("secret.bin", secret)])

    # Alice knows the oid and size but not the bytes.
    resp = lfs_batch(client, alice, "alice/alices", [(oid, len(secret))], operation="download")
    assert resp.status_code == 200
    [obj] = resp.json()["objects"]
    assert obj["error"]["code"] == 404 and "actions" not in obj
    # Upload is asked for (she must prove possession), never skipped.
    [obj] = lfs_batch(client, alice, "alice/alices", [(oid, len(secret))]).json()["objects"]
    assert "upload" in obj["actions"]
    # The upload href read back serves nothing: the hub refuses a URL signed for an upload as a download
    # (local storage, where both share a path), and S3 refuses a presigned PUT for a GET.
    stolen = client.get(obj["actions"]["upload"]["href"])
    assert stolen.status_code == 403 and secret not in stolen.content

    before = head(client, alice, "alice/alices")
    for op in (lfs_op("stolen.bin", secret), lfs_op("stolen.bin", oid=oid)):
        resp = commit(client, alice, "alice/alices", [op], expect=None)
        assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    assert head(client, alice, "alice/alices") == before
    assert "stolen.bin" not in files(client, alice, "alice/alices")
    assert LfsGrant.select().where(LfsGrant.oid == oid).count() == 1  # only bob's
    # Through bob's private repo she gets RepoNotFound.
    resp = lfs_batch(client, alice, "bob/bobs", [(oid, len(secret))], operation="download")
    assert resp.status_code == 404 and resp.headers["x-error-code"] == "RepoNotFound"
    # And she cannot upload into bob's repo.
    resp = lfs_batch(client, alice, "bob/bobs", [(sha256(b"x"), 1)])
    assert resp.status_code in (403, 404)


def test_object_committed_in_one_repo_is_reachable_in_another_of_same_user(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "one")
    create_repo(client, token, "two")
    commit(client, token, "alice/one", [file_op("w.bin", DATA)])  # inline, stored as LFS
    commit(client, token, "alice/two", [lfs_op("w.bin", oid=sha256(DATA))])  # dedup: uploader's grant
    assert client.get("/alice/two/resolve/main/w.bin").content == DATA


def test_batch_errors(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    create_repo(client, token, "p", private=True)
    url = "/alice/m.git/info/lfs/objects/batch"
    resp = client.post(url, content=b"{not json", headers={**LFS_HEADERS, **bearer(token)})
    assert resp.status_code == 400 and resp.headers["x-error-message"]
    assert resp.headers["content-type"].startswith("application/vnd.git-lfs+json")
    assert "message" in resp.json()
    resp = client.post(url, json={"operation": "delete", "objects": []}, headers={**LFS_HEADERS, **bearer(token)})
    assert resp.status_code == 400
    resp = client.post(url, json={"operation": "upload", "objects": [{"oid": "x"}]},
                       headers={**LFS_HEADERS, **bearer(token)})
    assert resp.status_code == 400
    [obj] = lfs_batch(client, token, "alice/m", [("not-a-sha", 1)]).json()["objects"]
    assert obj["error"]["code"] == 422
    # Anonymous upload: 401 with a Basic challenge (git-lfs then asks for credentials).
    resp = lfs_batch(client, None, "alice/m", [(sha256(DATA), len(DATA))])
    assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Basic")
    assert resp.headers["x-request-id"] and resp.headers["x-error-message"]
    resp = lfs_batch(client, None, "alice/p", [(sha256(DATA), len(DATA))], operation="download")
    assert resp.status_code == 401 and resp.headers["x-error-code"] == "RepoNotFound"
    bob = hub_client.new_user("bob")
    resp = lfs_batch(client, bob, "alice/m", [(sha256(DATA), len(DATA))])
    assert_error(resp, 403)
    # The /info/lfs form without .git and the Basic scheme (git-lfs) work too.
    import base64
    basic = {"Authorization": "Basic " + base64.b64encode(f"anyone:{token}".encode()).decode()}
    resp = client.post("/alice/m/info/lfs/objects/batch",
                       json={"operation": "upload", "objects": [{"oid": sha256(DATA), "size": len(DATA)}]},
                       headers={**LFS_HEADERS, **basic})
    assert resp.status_code == 200 and "upload" in resp.json()["objects"][0]["actions"]


def _put_parts(client, header, data, order):
    chunk = int(header["chunk_size"])
    etags = {}
    for number in order:
        put = client.put(header[str(number)], content=data[(number - 1) * chunk: number * chunk])
        assert put.status_code == 200, put.text
        etags[number] = put.headers["etag"]
    return [{"partNumber": n, "etag": etags[n]} for n in sorted(etags)]


@pytest.mark.local_storage
def test_multipart_out_of_order_and_rewritten_parts_complete_correctly(hub_client, monkeypatch, write_mode):
    from kohakuhub.api.routes import lfs as lfs_routes

    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    hub = hub_client.hub
    hashed_from = []
    real = lfs_routes._hash_from
    monkeypatch.setattr(lfs_routes, "_hash_from", lambda path, digest, offset: (
        hashed_from.append(offset), real(path, digest, offset))[1])
    chunk = 16 * 1024
    for data, order, offsets in (
            (MULTI, [3, 1, 2, 4, 5, 6, 7], [2 * chunk]),  # out of order: the tail after 1-2 is read
            (MULTI + b"a", [1, 2, 3, 4, 5, 6, 7, 2], [0]),  # a hashed part re-uploaded: hashed again
            (MULTI + b"c", [1, 2, 3, 5, 4, 6, 7], [4 * chunk]),  # only the tail after 1-4 is read
            (MULTI + b"b", [1, 2, 3, 4, 5, 6, 7], [])):  # in order: the running hash, no read
        hashed_from.clear()
        obj = _upload_action(client, token, "alice/m", data)
        upload = obj["actions"]["upload"]
        assert int(upload["header"]["chunk_size"]) * 6 < len(data) <= int(upload["header"]["chunk_size"]) * 7
        parts = _put_parts(client, upload["header"], data, order)
        done = client.post(upload["href"], json={"oid": sha256(data), "parts": parts}, headers=LFS_HEADERS)
        assert done.status_code == 200, done.text
        assert _stored(hub, sha256(data))
        assert hub.lfs.store.local_path(lfs_key(sha256(data))).read_bytes() == data
        assert hashed_from == offsets
    assert list(hub.settings.spool_dir.glob("multipart-*")) == []
    assert list(hub.settings.spool_dir.glob("complete-*")) == []


def test_multipart_rewritten_part_with_other_bytes_is_refused(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    obj = _upload_action(client, token, "alice/m", MULTI)
    upload = obj["actions"]["upload"]
    header = upload["header"]
    chunk = int(header["chunk_size"])
    parts = _put_parts(client, header, MULTI, range(1, MULTI_PARTS + 1))
    # Part 1 is replaced after it was hashed in order; the client uses the new etag.
    put = client.put(header["1"], content=b"\0" * chunk)
    assert put.status_code == 200
    parts[0]["etag"] = put.headers["etag"]
    done = client.post(upload["href"], json={"oid": sha256(MULTI), "parts": parts}, headers=LFS_HEADERS)
    assert 400 <= done.status_code < 500 and done.headers["x-error-message"]
    assert not _stored(hub_client.hub, sha256(MULTI))


@pytest.mark.local_storage
def test_multipart_part_list_and_part_length_are_checked(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    obj = _upload_action(client, token, "alice/m", MULTI)
    upload = obj["actions"]["upload"]
    header = upload["header"]
    chunk = int(header["chunk_size"])
    assert client.put(header["2"], content=MULTI[:chunk - 1]).status_code == 400  # short part
    assert client.put(header["2"], content=MULTI[:chunk + 1]).status_code == 413  # long part
    parts = _put_parts(client, header, MULTI, range(1, 8))
    for bad in (parts[:-1], parts + parts[-1:], [parts[1], parts[0], *parts[2:]]):
        resp = client.post(upload["href"], json={"oid": sha256(MULTI), "parts": bad}, headers=LFS_HEADERS)
        assert resp.status_code == 400 and resp.headers["x-error-message"]
    # Forged layout params break the signature.
    assert_error(client.put(_with_query(header["1"], chunk_size="1"), content=MULTI[:chunk]), 403)
    assert not _stored(hub_client.hub, sha256(MULTI))
    done = client.post(upload["href"], json={"oid": sha256(MULTI), "parts": parts}, headers=LFS_HEADERS)
    assert done.status_code == 200, done.text
    again = client.post(upload["href"], json={"oid": sha256(MULTI), "parts": parts}, headers=LFS_HEADERS)
    assert 400 <= again.status_code < 500
