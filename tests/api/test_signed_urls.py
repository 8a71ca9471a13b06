"""Every URL the hub signs does the one request it was issued for, and nothing else (issue 14).

The families: LFS object download, upload, verify, multipart part and completion, and the Xet xorb-range
fetch of a reconstruction (the ones S3 signs instead, on that layout, are in test_s3_presigned_urls.py).
Each is replayed with every other method, on every other family's path, with each parameter changed,
removed or added, with the repo it was issued for swapped, and after it expired: each is refused (403, or
404/405 where no route takes that method on the path) and the storage is exactly as before.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from kohakuhub.db.models import LfsGrant, LfsObject, XetXorb
from tests.api.helpers import LFS_HEADERS, bearer, commit, create_repo, lfs_batch, lfs_op, lfs_upload, sha256
from tests.api.test_xet import CAS, Upload, _token, _upload
from tests.conftest import CHUNK_SIZE, MULTIPART_THRESHOLD, HubClient
from tests.s3_support import S3_MODE

DATA = os.urandom(3000)  # committed, so it can be downloaded
NEW = os.urandom(2500)  # a single PUT
MULTI = os.urandom(max(MULTIPART_THRESHOLD, 2 * CHUNK_SIZE) + 1234)  # a multipart upload of several parts
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH")


@dataclass
class Signed:
    """One signed URL and the request it was issued for."""

    family: str
    method: str
    url: str  # path and query, on the hub
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def send(self, client, *, method: str | None = None, path: str | None = None, query: dict | None = None):
        url = f"{path or self.path}?{urlencode(self.query if query is None else query)}"
        return client.request(method or self.method, url, content=self.body, headers=self.headers)


def _local(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url  # a hub URL, not a presigned S3 one
    return f"{parts.path}?{parts.query}"


def _issue(h: HubClient, repo: str) -> dict[str, Signed]:
    """A fresh URL of every family the hub signs on this layout, issued through ``repo``."""
    client, token = h.client, h.token
    issued: dict[str, Signed] = {}
    [single] = lfs_batch(client, token, repo, [(sha256(NEW), len(NEW))]).json()["objects"]
    verify_body = json.dumps({"oid": sha256(NEW), "size": len(NEW)}).encode()
    issued["verify"] = Signed("verify", "POST", _local(single["actions"]["verify"]["href"]), verify_body,
                              {**LFS_HEADERS, "content-type": "application/json"})
    [multi] = lfs_batch(client, token, repo, [(sha256(MULTI), len(MULTI))]).json()["objects"]
    complete_body = json.dumps({"oid": sha256(MULTI), "parts": [{"partNumber": 1, "etag": "0" * 64}]}).encode()
    issued["complete"] = Signed("complete", "POST", _local(multi["actions"]["upload"]["href"]), complete_body,
                                {**LFS_HEADERS, "content-type": "application/json"})
    if S3_MODE:
        return issued
    issued["upload"] = Signed("upload", "PUT", _local(single["actions"]["upload"]["href"]), NEW)
    issued["part"] = Signed("part", "PUT", _local(multi["actions"]["upload"]["header"]["1"]), MULTI[:CHUNK_SIZE])
    [down] = lfs_batch(client, token, repo, [(sha256(DATA), len(DATA))], operation="download").json()["objects"]
    issued["download"] = Signed("download", "GET", _local(down["actions"]["download"]["href"]))
    read = _token(client, token, repo_id=repo, scope="read")
    answer = client.get(f"{CAS}/reconstructions/{XET.file_hex}", headers=bearer(read)).json()
    fetch = answer["fetch_info"][answer["terms"][0]["hash"]][0]
    issued["xorb-range"] = Signed("xorb-range", "GET", _local(fetch["url"]), headers={
        "Range": f"bytes={fetch['url_range']['start']}-{fetch['url_range']['end']}"})
    return issued


XET = Upload(os.urandom(200_000))


def _prepare(h: HubClient, *names: str) -> None:
    for name in names:
        create_repo(h.client, h.token, name.split("/")[1], private=True)
        lfs_upload(h.client, h.token, name, DATA)
        _upload(h.client, _token(h.client, h.token, repo_id=name), XET)
        commit(h.client, h.token, name, [lfs_op("data.bin", DATA), lfs_op("xet.bin", oid=XET.sha256,
                                                                             size=len(XET.data))])


def _state(h: HubClient) -> tuple:
    """What a refused request must not change: every stored object, and the rows that make one visible."""
    store = h.hub.lfs.store
    keys = {key: store.stat(key) for key in store.list_keys("")}
    spool = h.hub.settings.spool_dir
    spooled = sorted(str(p.relative_to(spool)) for p in spool.rglob("*")) if spool.exists() else []
    return (keys, spooled, LfsObject.select().count(), LfsGrant.select().count(), XetXorb.select().count())


@pytest.fixture
def signed(hub_client: HubClient) -> tuple[HubClient, dict[str, Signed]]:
    _prepare(hub_client, "alice/m", "alice/n")
    return hub_client, _issue(hub_client, "alice/m")


def _refused(resp, *statuses: int) -> None:
    assert resp.status_code in (statuses or (403,)), (resp.status_code, resp.text[:200])


def test_each_url_works_for_the_request_it_was_issued_for(signed):
    h, issued = signed
    expected = {"verify": 404, "complete": 400, "upload": 200, "part": 200, "download": 200, "xorb-range": 206}
    for name, url in issued.items():  # verify before the PUT: 404 (not uploaded); complete: parts missing
        assert url.send(h.client).status_code == expected[name], name


def test_each_url_refuses_every_other_method(signed):
    h, issued = signed
    before = _state(h)
    for url in issued.values():
        for method in METHODS:
            if method != url.method:  # 404/405 where no route serves that method on the path
                answer = url.send(h.client, method=method)
                _refused(answer, 403, 404, 405)
                assert DATA not in answer.content and XET.data[:1000] not in answer.content
    assert _state(h) == before


def test_each_url_refuses_every_other_purpose(signed):
    """The query of one family on another family's path and method (upload and download share a path)."""
    h, issued = signed
    before = _state(h)
    for url in issued.values():
        for other in issued.values():
            if other.family != url.family:
                _refused(other.send(h.client, query=url.query))
    assert _state(h) == before


def test_each_url_refuses_a_changed_removed_or_added_parameter_and_another_repo(signed):
    h, issued = signed
    other_repo = {name: url.query["repo"] for name, url in _issue(h, "alice/n").items()}
    before = _state(h)
    for name, url in issued.items():
        query = url.query
        assert {"expires", "sig", "repo"} <= set(query), name  # bound to the repo it was issued through
        assert other_repo[name] != query["repo"]
        _refused(url.send(h.client, query={**query, "repo": other_repo[name]}))  # issued for alice/m only
        for key, value in query.items():
            changed = value[:-1] + ("1" if value[-1:] != "1" else "2")
            _refused(url.send(h.client, query={**query, key: changed}))
            _refused(url.send(h.client, query={k: v for k, v in query.items() if k != key}))
        _refused(url.send(h.client, query={**query, "extra": "1"}))
        segments = url.path.split("/")
        segments[-1] = segments[-1][:-1] + ("0" if segments[-1][-1] != "0" else "1")
        _refused(url.send(h.client, path="/".join(segments)), 403, 404)
    assert _state(h) == before


def test_each_url_is_refused_after_it_expired(make_hub):
    # Expiry has one-second granularity, and the Xet tokens _prepare uses share the TTL: a 1 s TTL could leave
    # a token issued at x.99 only milliseconds to upload in, on a loaded machine.
    h = make_hub(lfs_url_ttl_seconds=3)
    _prepare(h, "alice/m")
    issued = _issue(h, "alice/m")
    before = _state(h)
    last_expiry = max(int(url.query["expires"]) for url in issued.values())
    time.sleep(max(0.0, last_expiry + 1.1 - time.time()))
    for url in issued.values():
        _refused(url.send(h.client))
    assert _state(h) == before
