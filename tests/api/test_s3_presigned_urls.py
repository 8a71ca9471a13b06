"""What a real S3 server (MinIO) shows about the hub's presigned URLs: each does the one request it was
signed for. Used after expiry, for another method, with the key, a query parameter or the body's size
changed, it is refused by the storage itself, and nothing in the bucket changes. Also S3's 5 MiB minimum
part size, which the hub's settings check at start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest

from kohakuhub.config import load_settings
from kohakuhub.errors import ConfigError, IntegrityError
from tests.api.helpers import commit, create_repo, lfs_batch, lfs_op, lfs_upload, sha256
from tests.api.test_lfs_s3 import CHUNK, MULTI, PARTS
from tests.s3_support import s3, s3_settings

DATA = bytes(range(256)) * 16  # 4 KiB: a single PUT
OTHER = bytes(reversed(DATA))  # same size, other bytes


@pytest.fixture
def s3hub(make_hub):
    return make_hub(**s3_settings(), lfs_multipart_chunk_size_bytes=CHUNK)


def _bucket(hub) -> dict[str, tuple[int, str] | None]:
    """Every object of the hub's bucket with its (size, etag): what "nothing changed" compares."""
    store = hub.lfs.store
    return {key: store.head(key) for key in sorted(store.list_keys(""))}


def _client():
    server = s3()
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1")


def _with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = "&".join(f"{name}={value}" if item.split("=", 1)[0] == name else item for item in parts.query.split("&"))
    assert query != parts.query, f"{name} not in {url}"
    return urlunsplit(parts._replace(query=query))


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _other_key(url: str) -> str:
    """The path of ``url`` with its last character changed (never to itself)."""
    path = urlsplit(url).path
    return path[:-1] + ("0" if path[-1] != "0" else "1")


def _forgeries(url: str, other_key_path: str) -> dict[str, str]:
    """The URL with one signed thing changed each time."""
    parts = urlsplit(url)
    signature = dict(item.split("=", 1) for item in parts.query.split("&"))["X-Amz-Signature"]
    return {
        "another key": _with_path(url, other_key_path),
        "a longer lifetime": _with_query(url, "X-Amz-Expires", "604800"),
        "another date": _with_query(url, "X-Amz-Date", "20990101T000000Z"),
        "another signature": _with_query(url, "X-Amz-Signature", signature[:-1] + ("0" if signature[-1] != "0" else "1")),
        "an added parameter": f"{url}&x-id=GetObject",
    }


def _refused(resp, code: str = "", statuses: tuple[int, ...] = (403,)) -> None:
    assert resp.status_code in statuses, (resp.status_code, resp.text[:300])
    assert code in resp.text


def _other_method_refused(resp) -> None:
    """403 for a signature made for another method; 400 where S3 has no such call (POST on an object)."""
    _refused(resp, statuses=(400, 403))


def test_a_single_put_url_does_one_put_of_the_announced_size_and_nothing_else(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    [obj] = lfs_batch(h.client, h.token, "alice/m", [(sha256(DATA), len(DATA))]).json()["objects"]
    url = obj["actions"]["upload"]["href"]
    before = _bucket(hub)
    for method in ("GET", "HEAD", "DELETE", "POST"):
        _other_method_refused(h.client.request(method, url))
    for what, forged in _forgeries(url, _other_key(url)).items():
        assert h.client.put(forged, content=DATA).status_code == 403, what
    for body in (DATA[:-1], DATA + b"x", b""):
        _refused(h.client.put(url, content=body), "SignatureDoesNotMatch")
    assert _bucket(hub) == before  # nothing was written
    assert h.client.put(url, content=DATA).status_code == 200  # the one request it is for
    _refused(h.client.get(url))  # and it never reads back what was uploaded


def test_part_urls_take_only_their_own_part(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    [obj] = lfs_batch(h.client, h.token, "alice/m", [(sha256(MULTI), len(MULTI))]).json()["objects"]
    header = obj["actions"]["upload"]["header"]
    first, last = header["1"], header[str(PARTS)]
    key = urlsplit(first).path.split("/", 2)[2]
    upload_id = dict(item.split("=", 1) for item in urlsplit(first).query.split("&"))["uploadId"]
    part = MULTI[:CHUNK]
    for method in ("GET", "HEAD", "DELETE", "POST"):  # a DELETE would abort the upload, a POST complete it
        _other_method_refused(h.client.request(method, first))
    forged = {**_forgeries(first, _other_key(first)),
              "another part number": _with_query(first, "partNumber", "2"),
              "another upload": _with_query(first, "uploadId", upload_id[:-2] + "AA")}
    for what, url in forged.items():
        assert h.client.put(url, content=part).status_code == 403, what
    _refused(h.client.put(first, content=part[:-1]), "SignatureDoesNotMatch")  # a part of another size
    _refused(h.client.put(last, content=part), "SignatureDoesNotMatch")  # the last part is smaller
    listed = _client().list_parts(Bucket=hub.settings.s3_bucket_name, Key=key, UploadId=upload_id)
    assert listed.get("Parts", []) == []  # no part was stored
    assert h.client.put(first, content=part).status_code == 200


def test_a_download_url_reads_its_object_and_changes_nothing(s3hub):
    h, hub = s3hub, s3hub.hub
    create_repo(h.client, h.token, "m")
    lfs_upload(h.client, h.token, "alice/m", DATA)
    lfs_upload(h.client, h.token, "alice/m", OTHER)
    commit(h.client, h.token, "alice/m", [lfs_op("a.bin", DATA), lfs_op("b.bin", OTHER)])
    url = h.client.get("/alice/m/resolve/main/a.bin", follow_redirects=False).headers["location"]
    other = h.client.get("/alice/m/resolve/main/b.bin", follow_redirects=False).headers["location"]
    before = _bucket(hub)
    for method in ("PUT", "DELETE", "POST"):
        _other_method_refused(h.client.request(method, url, content=OTHER))
    forged = {**_forgeries(url, urlsplit(other).path),
              "another file name": _with_query(url, "response-content-disposition", "attachment%3B%20filename%3Dx")}
    for what, forgery in forged.items():
        assert h.client.get(forgery).status_code == 403, what
    assert _bucket(hub) == before
    assert h.client.get(url).content == DATA and h.client.get(other).content == OTHER


def test_presigned_urls_expire(make_hub):
    h = make_hub(**s3_settings(), lfs_multipart_chunk_size_bytes=CHUNK, lfs_url_ttl_seconds=1)
    create_repo(h.client, h.token, "m")
    lfs_upload(h.client, h.token, "alice/m", DATA)
    commit(h.client, h.token, "alice/m", [lfs_op("a.bin", DATA)])
    download = h.client.get("/alice/m/resolve/main/a.bin", follow_redirects=False).headers["location"]
    [obj] = lfs_batch(h.client, h.token, "alice/m", [(sha256(OTHER), len(OTHER))]).json()["objects"]
    before = _bucket(h.hub)
    time.sleep(2.1)
    _refused(h.client.get(download), "expired")
    _refused(h.client.put(obj["actions"]["upload"]["href"], content=OTHER), "expired")
    assert _bucket(h.hub) == before


def test_s3_refuses_parts_under_5_mib_and_the_hub_refuses_to_be_configured_so(s3hub, tmp_path):
    store = s3hub.hub.lfs.store
    upload_id = store.create_multipart_upload("staging/small-parts")
    etags = []
    for number in (1, 2):
        url = store.presigned_part_url("staging/small-parts", upload_id, number, size=1024, expires_in=60)
        etags.append((number, s3hub.client.put(url, content=b"p" * 1024).headers["etag"]))
    with pytest.raises(IntegrityError, match="smaller than the minimum"):
        store.complete_multipart_upload("staging/small-parts", upload_id, etags)
    store.abort_multipart_upload("staging/small-parts", upload_id)

    with pytest.raises(ConfigError, match="lfs_multipart_chunk_size_bytes .*5 MiB"):
        load_settings(data_dir=tmp_path, **s3_settings(), lfs_multipart_chunk_size_bytes=CHUNK - 1)
    load_settings(data_dir=tmp_path, lfs_multipart_chunk_size_bytes=1024)  # local storage takes any size
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOHAKU_HUB_")}
    env.update({f"KOHAKU_HUB_{k.upper()}": str(v) for k, v in s3_settings().items()})
    env.update(KOHAKU_HUB_DATA_DIR=str(tmp_path / "d"), KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES="1048576")
    run = subprocess.run([sys.executable, "-m", "uvicorn", "kohakuhub.main:app", "--port", "0"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "lfs_multipart_chunk_size_bytes is 1048576" in run.stderr
