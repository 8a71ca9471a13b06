"""Request bodies are bounded before they are trusted (issue 14): every route's body over
``max_json_body_bytes`` gets 413 before routing (so before authentication), whether it announces its
length or arrives chunked; only the streaming routes take more, under limits of their own.

The routes are the app's own OpenAPI table, so a route added later is covered without a change here.
"""

from __future__ import annotations

import os
import re

import pytest

from kohakuhub.api.body_limit import STREAMING_ROUTES, is_streaming
from tests.api.helpers import assert_error, commit, create_repo, file_op, files, lfs_batch, sha256
from tests.api.test_xet import Upload, _post_xorb, _token
from tests.s3_support import S3_MODE

LIMIT = 64 * 1024
VALUES = {"plural": "models", "namespace": "alice", "name": "m", "revision": "main", "oid": "0" * 64,
          "upload_id": "x", "number": "1", "token": "no-such-token", "org": "no-such-org", "username": "nobody",
          "branch": "b", "tag": "t", "session_id": "1", "token_id": "1", "prefix": "default"}


def _sample(template: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: VALUES.get(m.group(1), "0" * 64), template)


def _body_routes(app) -> list[tuple[str, str]]:
    """(method, sample path) of every route that takes a body."""
    routes = []
    for template, operations in app.openapi()["paths"].items():
        for method in operations:
            if method in ("post", "put", "patch", "delete"):
                routes.append((method.upper(), _sample(template)))
    return routes


@pytest.fixture
def small(make_hub):
    h = make_hub(max_json_body_bytes=LIMIT)
    create_repo(h.client, h.token, "m")
    return h


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_every_non_streaming_body_over_the_limit_is_refused_before_authentication(small):
    h = small
    routes = _body_routes(h.client.app)
    capped = [(m, p) for m, p in routes if not is_streaming(m, p)]
    assert len(capped) > 40 and len(routes) - len(capped) >= 15
    big = b"{" + b" " * LIMIT + b"}"
    for method, path in capped:
        for headers in ({}, h.auth()):  # anonymous callers too: refused before any credential is looked at
            answer = h.client.request(method, path, content=big,
                                      headers={**headers, "content-type": "application/json"})
            assert_error(answer, 413, message="limit")
            chunked = h.client.request(method, path, content=iter([big[:LIMIT // 2], big[LIMIT // 2:]]),
                                       headers={**headers, "content-type": "application/json"})
            assert_error(chunked, 413, message="limit")
    assert files(h.client, h.token, "alice/m").keys() == {".gitattributes"}  # nothing was written


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_every_streaming_pattern_names_routes_of_the_app(small):
    routes = _body_routes(small.client.app)
    for method, pattern in STREAMING_ROUTES:
        assert any(m == method and pattern.fullmatch(p) for m, p in routes), pattern.pattern


def test_a_body_at_the_limit_is_read(small):
    h = small
    start = b'{"operation": "download", "objects": []'
    body = start + b" " * (LIMIT - len(start) - 1) + b"}"
    assert len(body) == LIMIT
    answer = h.client.post("/alice/m.git/info/lfs/objects/batch", content=body,
                           headers={**h.auth(), "content-type": "application/vnd.git-lfs+json"})
    assert answer.status_code == 200, answer.text


def test_streaming_routes_take_bodies_over_the_limit(small):
    h = small
    data = bytes(range(256)) * (2 * LIMIT // 256)  # 128 KiB, inline in the NDJSON commit body
    commit(h.client, h.token, "alice/m", [file_op("big.bin", data)])
    assert h.client.get("/alice/m/resolve/main/big.bin").content == data
    up = Upload(os.urandom(2 * LIMIT))  # one xorb of about 128 KiB (random bytes do not compress)
    assert len(up.xorb) > LIMIT
    assert _post_xorb(h.client, _token(h.client, h.token, repo_id="alice/m"), up).status_code == 200
    if not S3_MODE:  # a single LFS PUT to the hub (on S3 the bytes go to S3)
        other = data + b"y"
        [obj] = lfs_batch(h.client, h.token, "alice/m", [(sha256(other), len(other))],
                          multipart=False).json()["objects"]
        assert h.client.put(obj["actions"]["upload"]["href"], content=other).status_code == 200
