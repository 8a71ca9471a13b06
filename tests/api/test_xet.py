"""The Xet token routes and CAS API, driven with raw HTTP and xorbs/shards built by kohakuhub.xet.

Every refusal is checked to change nothing: no xorb row or object, no file, no LFS object.
"""

from __future__ import annotations

import hashlib
import os
import time

import httpx
import pytest

from kohakuhub.db.models import LfsObject, XetFile, XetXorb
from kohakuhub.db.queries import find_repo
from kohakuhub.services.auth import Access
from kohakuhub.services.repos import RepoRef
from kohakuhub.services.xet import xorb_key
from kohakuhub.xet.chunking import split_chunks
from kohakuhub.xet.hashing import chunk_hash, file_hash, hash_to_hex, verification_hash
from kohakuhub.xet.shard import FileEntry, FileSegment, Shard, XorbChunkEntry, XorbEntry, build_shard, parse_shard
from kohakuhub.xet.xorb import build_xorb, decode_chunks
from tests.api.helpers import api, assert_error, bearer, commit, create_repo, lfs_batch, lfs_op, lfs_upload
from tests.conftest import HubClient

CAS = "/api/xet/cas/v1"
REPO = "alice/xet-model"


def _token(client, token: str | None, repo_id: str = REPO, scope: str = "write") -> str:
    resp = client.get(f"{api(repo_id)}/xet-{scope}-token/main", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()["accessToken"]


class Upload:
    """One file cut into chunks and packed into a single xorb, with the shard that registers it."""

    def __init__(self, data: bytes, *, compression: str = "lz4") -> None:
        self.data = data
        self.chunks = split_chunks(data)
        pairs = [(chunk_hash(c), len(c)) for c in self.chunks]
        self.xorb, xorb_hash = build_xorb(self.chunks, compression) if self.chunks else (b"", b"")
        self.xorb_hex = hash_to_hex(xorb_hash) if self.chunks else ""
        self.file_hash = file_hash(pairs)
        self.sha256 = hashlib.sha256(data).hexdigest()
        segments = [FileSegment(xorb_hash, len(data), 0, len(self.chunks))] if self.chunks else []
        offsets, position = [], 0
        for c in self.chunks:
            offsets.append(position)
            position += len(c)
        self.entry = FileEntry(self.file_hash, segments,
                               [verification_hash([h for h, _ in pairs])] if self.chunks else [],
                               bytes.fromhex(self.sha256))
        self.xorb_entry = XorbEntry(xorb_hash, [XorbChunkEntry(h, 0, n) for h, n in pairs], len(data),
                                    len(self.xorb)) if self.chunks else None

    def shard(self, **changes) -> bytes:
        entry = FileEntry(**{**self.entry.__dict__, **changes})
        return build_shard(Shard(files=[entry], xorbs=[self.xorb_entry] if self.xorb_entry else []))

    @property
    def file_hex(self) -> str:
        return hash_to_hex(self.file_hash)


def _post_xorb(client, xet_token: str, up: Upload, body: bytes | None = None, xorb_hex: str | None = None):
    return client.post(f"{CAS}/xorbs/default/{xorb_hex or up.xorb_hex}", content=up.xorb if body is None else body,
                       headers=bearer(xet_token))


def _upload(client, xet_token: str, up: Upload) -> None:
    if up.chunks:
        resp = _post_xorb(client, xet_token, up)
        assert resp.status_code == 200, resp.text
    resp = client.post(f"{CAS}/shards", content=up.shard(), headers=bearer(xet_token))
    assert resp.status_code == 200, resp.text


def _nothing_stored(hub_client: HubClient, up: Upload) -> None:
    assert XetXorb.get_or_none(XetXorb.hash == up.xorb_hex) is None
    assert not hub_client.hub.lfs.store.exists(xorb_key(up.xorb_hex))


@pytest.fixture
def repo(hub_client: HubClient) -> HubClient:
    create_repo(hub_client.client, hub_client.token, "xet-model")
    return hub_client


# --- tokens ---------------------------------------------------------------------------------------------


def test_token_routes_answer_json_and_the_headers_the_client_reads(repo: HubClient) -> None:
    resp = repo.client.get(f"{api(REPO)}/xet-write-token/main", headers=repo.auth())
    assert resp.status_code == 200
    body = resp.json()
    assert body["casUrl"] == "http://testserver/api/xet/cas"
    assert resp.headers["x-xet-cas-url"] == body["casUrl"]
    assert resp.headers["x-xet-access-token"] == body["accessToken"]
    assert int(resp.headers["x-xet-token-expiration"]) == body["exp"] > time.time()


def test_read_token_never_writes(repo: HubClient) -> None:
    up = Upload(os.urandom(20_000))
    read = _token(repo.client, repo.token, scope="read")
    resp = _post_xorb(repo.client, read, up)
    assert_error(resp, 403, message="read-only")
    _nothing_stored(repo, up)
    assert_error(repo.client.post(f"{CAS}/shards", content=up.shard(), headers=bearer(read)), 403)


def test_write_token_needs_write_access(repo: HubClient) -> None:
    assert repo.client.get(f"{api(REPO)}/xet-write-token/main").status_code == 401
    other = repo.new_user("mallory")
    assert repo.client.get(f"{api(REPO)}/xet-write-token/main", headers=bearer(other)).status_code == 403
    reader = repo.new_user("reader", role="read")
    assert repo.client.get(f"{api(REPO)}/xet-write-token/main", headers=bearer(reader)).status_code == 403
    # Anyone may read a public repo.
    assert repo.client.get(f"{api(REPO)}/xet-read-token/main").status_code == 200


def test_private_repo_token_hidden_from_outsiders(repo: HubClient) -> None:
    create_repo(repo.client, repo.token, "secret", private=True)
    assert_error(repo.client.get(f"{api('alice/secret')}/xet-read-token/main"), 401, "RepoNotFound")
    other = repo.new_user("mallory")
    assert_error(repo.client.get(f"{api('alice/secret')}/xet-read-token/main", headers=bearer(other)),
                 404, "RepoNotFound")
    assert_error(repo.client.get(f"{api(REPO)}/xet-read-token/no-such-branch"), 404, "RevisionNotFound")


@pytest.mark.parametrize("token", ["", "xet1.1.1.write.1.abc", "not-a-token"])
def test_forged_or_missing_token_is_401(repo: HubClient, token: str) -> None:
    up = Upload(os.urandom(10_000))
    assert_error(_post_xorb(repo.client, token, up), 401)
    _nothing_stored(repo, up)


def test_expired_token_is_401(repo: HubClient) -> None:
    grant_token, _ = repo.hub.xet_tokens.issue(RepoRef(find_repo(f"model/{REPO}"), Access.WRITE), 1, "write")
    parts = grant_token.split(".")
    parts[4] = str(int(time.time()) - 10)  # change the expiry: the signature no longer matches either
    up = Upload(os.urandom(10_000))
    assert_error(_post_xorb(repo.client, ".".join(parts), up), 401)
    signer_query = repo.hub.signer.sign("/xet-token", purpose="/xet-token", expires_at=int(time.time()) - 1,
                                        repo="1", user="1", scope="write")
    expired = f"xet1.1.1.write.{signer_query['expires']}.{signer_query['sig']}"
    assert_error(_post_xorb(repo.client, expired, up), 401, message="expired")


# --- xorbs ----------------------------------------------------------------------------------------------


def test_xorb_upload_is_idempotent(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    up = Upload(os.urandom(300_000))
    first = _post_xorb(repo.client, token, up)
    assert first.json() == {"was_inserted": True}
    assert _post_xorb(repo.client, token, up).json() == {"was_inserted": False}
    assert repo.hub.lfs.store.stat(xorb_key(up.xorb_hex)) == len(up.xorb)


def test_xorb_over_quota_is_refused(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    used = repo.hub.quotas.quota("alice")["public"]["used"]
    repo.hub.quotas.set_limits("alice", {"public": used + 100_000})
    up = Upload(os.urandom(200_000))
    assert_error(_post_xorb(repo.client, token, up), 413, message="Quota exceeded")
    _nothing_stored(repo, up)


def test_xorb_with_wrong_hash_or_corrupt_bytes_is_refused(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    up = Upload(os.urandom(200_000), compression="none")
    other = Upload(os.urandom(1000))
    assert_error(_post_xorb(repo.client, token, up, xorb_hex=other.xorb_hex), 400, message="hash")
    flipped = bytearray(up.xorb)
    flipped[len(flipped) // 2] ^= 1
    assert_error(_post_xorb(repo.client, token, up, body=bytes(flipped)), 400)
    assert_error(_post_xorb(repo.client, token, up, body=up.xorb[:-7]), 400)
    assert_error(_post_xorb(repo.client, token, up, body=b""), 400)
    assert_error(_post_xorb(repo.client, token, up, xorb_hex="zz" * 32), 400, message="Malformed")
    _nothing_stored(repo, up)


# --- shards, commits and reads --------------------------------------------------------------------------


def _commit_xet_file(repo: HubClient, up: Upload, path: str = "model.bin") -> None:
    resp = commit(repo.client, repo.token, REPO, [lfs_op(path, oid=up.sha256, size=len(up.data))])
    assert resp.status_code == 200, resp.text


def test_shard_registers_a_file_that_commits_resolve_and_lfs_serve(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    up = Upload(os.urandom(500_000))
    _upload(repo.client, token, up)
    row = XetFile.get(XetFile.oid == up.sha256)
    assert (row.file_hash, row.size) == (up.file_hex, len(up.data))
    _commit_xet_file(repo, up)

    head = repo.client.head(f"/{REPO}/resolve/main/model.bin")
    assert head.headers["x-xet-hash"] == up.file_hex
    assert "/xet-read-token/" in head.headers["x-xet-refresh-route"]
    assert 'rel="xet-auth"' in head.headers["link"]
    assert head.headers["x-linked-size"] == str(len(up.data))

    get = repo.client.get(f"/{REPO}/resolve/main/model.bin", follow_redirects=False)
    assert get.status_code == 200 and get.content == up.data  # rebuilt by the hub, never a redirect
    part = repo.client.get(f"/{REPO}/resolve/main/model.bin", headers={"Range": "bytes=70000-200000"})
    assert part.status_code == 206 and part.content == up.data[70000:200001]

    tree = repo.client.get(f"{api(REPO)}/tree/main").json()
    entry = next(e for e in tree if e["path"] == "model.bin")
    assert entry["xetHash"] == up.file_hex and entry["lfs"]["oid"] == up.sha256
    assert all("xetHash" not in e for e in tree if e["path"] != "model.bin")

    batch = lfs_batch(repo.client, repo.token, REPO, [(up.sha256, len(up.data))], operation="download")
    href = batch.json()["objects"][0]["actions"]["download"]["href"]
    assert href.startswith("http://testserver/api/lfs/objects/")  # rebuilt by the hub, also on S3
    assert repo.client.get(href).content == up.data


def test_content_known_through_lfs_is_advertised_as_xet_once_uploaded_through_xet(repo: HubClient) -> None:
    """A HEAD of the LFS copy caches "not a Xet file"; registering it through Xet must not wait that out."""
    up = Upload(os.urandom(300_000))
    create_repo(repo.client, repo.token, "plain")
    lfs_upload(repo.client, repo.token, "alice/plain", up.data)
    assert commit(repo.client, repo.token, "alice/plain", [lfs_op("w.bin", up.data)]).status_code == 200
    assert "x-xet-hash" not in repo.client.head("/alice/plain/resolve/main/w.bin").headers
    _upload(repo.client, _token(repo.client, repo.token), up)
    _commit_xet_file(repo, up)
    assert repo.client.head(f"/{REPO}/resolve/main/model.bin").headers["x-xet-hash"] == up.file_hex


def test_reconstruction_fetches_rebuild_the_file(repo: HubClient) -> None:
    up = Upload(os.urandom(400_000))
    _upload(repo.client, _token(repo.client, repo.token), up)
    _commit_xet_file(repo, up)
    read = _token(repo.client, None, scope="read")
    answer = repo.client.get(f"{CAS}/reconstructions/{up.file_hex}", headers=bearer(read)).json()
    assert answer["offset_into_first_range"] == 0
    assert sum(t["unpacked_length"] for t in answer["terms"]) == len(up.data)
    assert _fetch_terms(repo, answer) == up.data

    ranged = repo.client.get(f"{CAS}/reconstructions/{up.file_hex}",
                             headers={**bearer(read), "Range": "bytes=100000-150000"}).json()
    data = _fetch_terms(repo, ranged)[ranged["offset_into_first_range"]:][:50001]
    assert data == up.data[100000:150001]
    assert_error(repo.client.get(f"{CAS}/reconstructions/{up.file_hex}",
                                 headers={**bearer(read), "Range": f"bytes={len(up.data)}-"}), 416)
    assert_error(repo.client.get(f"{CAS}/reconstructions/{up.file_hex}",
                                 headers={**bearer(read), "Range": "bytes=9-3"}), 400, message="Range")
    url = answer["fetch_info"][answer["terms"][0]["hash"]][0]["url"]
    if "testserver" in url:  # the hub serves a fetch URL only for the exact range it signed
        assert_error(repo.client.get(url), 400, message="Range")
        assert_error(repo.client.get(url, headers={"Range": "bytes=0-10"}), 400, message="Range")
        assert_error(repo.client.get(url.replace("sig=", "sig=0"), headers={"Range": "bytes=0-10"}), 403)


def _fetch_terms(repo: HubClient, answer: dict) -> bytes:
    out = b""
    for term in answer["terms"]:
        fetch = next(f for f in answer["fetch_info"][term["hash"]]
                     if f["range"]["start"] <= term["range"]["start"] and f["range"]["end"] >= term["range"]["end"])
        rng = f"bytes={fetch['url_range']['start']}-{fetch['url_range']['end']}"
        url = fetch["url"]
        resp = httpx.get(url, headers={"Range": rng}) if "testserver" not in url else \
            repo.client.get(url, headers={"Range": rng})
        assert resp.status_code == 206, resp.text
        chunks = list(decode_chunks(resp.content))
        skip = term["range"]["start"] - fetch["range"]["start"]
        out += b"".join(chunks[skip: skip + term["range"]["end"] - term["range"]["start"]])
    return out


def test_reconstruction_of_a_private_file_needs_a_token_of_a_repo_holding_it(repo: HubClient) -> None:
    create_repo(repo.client, repo.token, "secret", private=True)
    up = Upload(os.urandom(100_000))
    _upload(repo.client, _token(repo.client, repo.token, "alice/secret"), up)
    resp = commit(repo.client, repo.token, "alice/secret", [lfs_op("w.bin", oid=up.sha256, size=len(up.data))])
    assert resp.status_code == 200
    outsider = repo.new_user("mallory")
    create_repo(repo.client, outsider, "public")
    token = _token(repo.client, outsider, "mallory/public", scope="read")
    assert_error(repo.client.get(f"{CAS}/reconstructions/{up.file_hex}", headers=bearer(token)), 404)
    # ... and the outsider cannot commit it by oid either: they never uploaded it.
    commit(repo.client, outsider, "mallory/public", [lfs_op("w.bin", oid=up.sha256, size=len(up.data))],
           expect=400)
    # The dedup index does not reveal alice's chunks to another user.
    assert repo.client.get(f"{CAS}/chunks/default-merkledb/{hash_to_hex(chunk_hash(up.chunks[0]))}",
                           headers=bearer(token)).status_code == 404


def test_global_dedup_answers_a_shard_for_known_chunks(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    up = Upload(os.urandom(300_000))
    _upload(repo.client, token, up)
    first = hash_to_hex(chunk_hash(up.chunks[0]))
    resp = repo.client.get(f"{CAS}/chunks/default/{first}", headers=bearer(token))
    assert resp.status_code == 200
    shard = parse_shard(resp.content)
    assert [hash_to_hex(x.xorb_hash) for x in shard.xorbs] == [up.xorb_hex]
    assert len(shard.xorbs[0].chunks) == len(up.chunks)
    assert repo.client.get(f"{CAS}/chunks/default/{'0' * 64}", headers=bearer(token)).status_code == 404


def test_a_shard_is_registered_whole_or_not_at_all(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    good, bad = Upload(os.urandom(100_000)), Upload(os.urandom(120_000))
    for up in (good, bad):
        assert _post_xorb(repo.client, token, up).status_code == 200
    wrong = FileEntry(**{**bad.entry.__dict__, "sha256": hashlib.sha256(b"lie").digest()})
    body = build_shard(Shard(files=[good.entry, wrong], xorbs=[good.xorb_entry, bad.xorb_entry]))
    assert_error(repo.client.post(f"{CAS}/shards", content=body, headers=bearer(token)), 400, message="sha256")
    assert XetFile.select().count() == 0 and LfsObject.get_or_none(LfsObject.oid == good.sha256) is None


def test_shard_problems_are_refused_and_register_nothing(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    up = Upload(os.urandom(150_000))
    shards = {
        "unknown xorb": up.shard(),  # its xorb was never uploaded
    }
    for problem, body in shards.items():
        assert_error(repo.client.post(f"{CAS}/shards", content=body, headers=bearer(token)), 400)
    assert _post_xorb(repo.client, token, up).status_code == 200
    bad = {
        "truncated": up.shard()[:-10],
        "garbage": os.urandom(500),
        "wrong verification": up.shard(verification=[b"\0" * 32]),
        "wrong file hash": up.shard(file_hash=b"\1" * 32),
        "wrong sha256": up.shard(sha256=hashlib.sha256(b"other").digest()),
        "no sha256": up.shard(sha256=None),
    }
    for problem, body in bad.items():
        resp = repo.client.post(f"{CAS}/shards", content=body, headers=bearer(token))
        assert resp.status_code == 400, (problem, resp.text)
    assert XetFile.select().count() == 0
    assert LfsObject.get_or_none(LfsObject.oid == up.sha256) is None
    assert LfsObject.get_or_none(LfsObject.oid == hashlib.sha256(b"other").hexdigest()) is None


def test_empty_and_tiny_files(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    for data in (b"", b"x"):
        up = Upload(data)
        _upload(repo.client, token, up)
        assert XetFile.get(XetFile.oid == up.sha256).size == len(data)


def test_second_upload_of_a_similar_file_stores_only_new_chunks(repo: HubClient) -> None:
    token = _token(repo.client, repo.token)
    base = os.urandom(2_000_000)
    up = Upload(base)
    _upload(repo.client, token, up)
    _commit_xet_file(repo, up, "base.bin")
    changed = base[:1_000_000] + b"edit" + base[1_000_004:]
    new_chunks = split_chunks(changed)
    fresh = [c for c in new_chunks if c not in set(up.chunks)]
    assert len(fresh) < 4
    xorb, xorb_hash = build_xorb(fresh)
    assert _post_xorb(repo.client, token, up, body=xorb, xorb_hex=hash_to_hex(xorb_hash)).status_code == 200
    segments, index = [], {c: i for i, c in enumerate(up.chunks)}
    fresh_index = {c: i for i, c in enumerate(fresh)}
    for c in new_chunks:  # one segment per chunk keeps the test simple; the hub accepts any valid cut
        if c in fresh_index:
            segments.append(FileSegment(xorb_hash, len(c), fresh_index[c], fresh_index[c] + 1))
        else:
            segments.append(FileSegment(up.xorb_entry.xorb_hash, len(c), index[c], index[c] + 1))
    entry = FileEntry(file_hash([(chunk_hash(c), len(c)) for c in new_chunks]), segments,
                      [verification_hash([chunk_hash(c)]) for c in new_chunks],
                      hashlib.sha256(changed).digest())
    xorb_entry = XorbEntry(xorb_hash, [XorbChunkEntry(chunk_hash(c), 0, len(c)) for c in fresh],
                           sum(map(len, fresh)), len(xorb))
    resp = repo.client.post(f"{CAS}/shards", content=build_shard(Shard(files=[entry], xorbs=[xorb_entry])),
                            headers=bearer(token))
    assert resp.status_code == 200, resp.text
    row = XetFile.get(XetFile.oid == hashlib.sha256(changed).hexdigest())
    assert row.stored_bytes == len(xorb) < len(changed) * 0.2
    used = repo.hub.quotas.quota("alice")["public"]["used"]
    resp = commit(repo.client, repo.token, REPO, [lfs_op("changed.bin", changed)])
    assert resp.status_code == 200, resp.text
    # The quota is charged the bytes actually stored (the new xorb, plus the pointer in git), not 2 MB.
    assert len(xorb) <= repo.hub.quotas.quota("alice")["public"]["used"] - used < len(xorb) + 4096
    assert repo.client.get(f"/{REPO}/resolve/main/changed.bin").content == changed
