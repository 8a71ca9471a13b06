"""Presigned S3 URLs, checked with an independent SigV4 verifier (MinIO checks them for real in
tests/api/test_lfs_s3.py; this needs no server).

No network: presigning is local. The verifier below recomputes the AWS Signature Version 4 query-string
signature from the URL as a client would send it, so it catches a URL signed for another host, method,
path or expiry, and any change made to a URL after signing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from kohakuhub.lib.content_safety import present
from kohakuhub.storage.s3 import S3BlobStore

ACCESS, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KEY = "lfs/ab/cd/abcd" + "0" * 60


def _store(**kwargs) -> S3BlobStore:
    options = {"bucket": "hub-bucket", "endpoint": "http://minio:9000",
               "public_endpoint": "https://files.example.com", "access_key": ACCESS, "secret_key": SECRET,
               "region": "eu-west-3"}
    options.update(kwargs)
    return S3BlobStore(**options)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_valid(url: str, method: str, *, secret: str = SECRET, now: datetime | None = None,
                content_length: int | None = None) -> bool:
    """True when ``url`` carries a valid, unexpired SigV4 query signature for ``method`` (and a body of
    ``content_length`` bytes, for URLs that sign it)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    signature = params.pop("X-Amz-Signature")
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted((k, v) for k, v in query if k != "X-Amz-Signature"))
    signed_headers = params["X-Amz-SignedHeaders"]
    headers = {"host": parts.netloc, "content-length": str(content_length)}
    # Nothing else a client would have to reproduce: the host, and the size of the body it uploads.
    assert signed_headers == ("host" if content_length is None else "content-length;host")
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed_headers.split(";"))
    canonical = "\n".join([method, parts.path or "/", canonical_query, canonical_headers, signed_headers,
                           "UNSIGNED-PAYLOAD"])
    amz_date = params["X-Amz-Date"]
    scope = params["X-Amz-Credential"].split("/", 1)[1]
    date, region, service, _ = scope.split("/")
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    issued = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    fresh = (now or datetime.now(UTC)) <= issued + timedelta(seconds=int(params["X-Amz-Expires"]))
    return hmac.compare_digest(expected, signature) and fresh


def test_get_url_is_signed_for_the_public_endpoint_with_path_style_and_expiry():
    shown = present("dir/model.safetensors")
    url = _store().presigned_get_url(KEY, expires_in=900, disposition=shown.disposition, media_type=shown.media_type)
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == "https://files.example.com"  # never the internal endpoint
    assert parts.path == f"/hub-bucket/{KEY}"  # path style
    assert params["X-Amz-Expires"] == "900"
    assert params["X-Amz-Credential"].startswith(f"{ACCESS}/") and "/eu-west-3/s3/aws4_request" in params[
        "X-Amz-Credential"]
    assert params["response-content-disposition"].startswith("attachment;")  # an unknown type
    assert 'filename="model.safetensors"' in params["response-content-disposition"]
    assert params["response-content-type"] == "application/octet-stream"
    assert sigv4_valid(url, "GET")


def test_signature_binds_method_host_path_and_expiry():
    url = _store().presigned_get_url(KEY, expires_in=60)
    assert sigv4_valid(url, "GET")
    assert not sigv4_valid(url, "PUT")  # a GET URL cannot upload
    assert not sigv4_valid(url, "HEAD")
    assert not sigv4_valid(url.replace("files.example.com", "minio:9000"), "GET")  # rewritten host
    assert not sigv4_valid(url.replace("https://files.example.com", "http://minio:9000"), "GET")
    assert not sigv4_valid(url.replace(KEY, KEY[:-1] + "1"), "GET")  # another object
    assert not sigv4_valid(url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000"), "GET")
    assert not sigv4_valid(url, "GET", secret="another-secret")
    assert not sigv4_valid(url, "GET", now=datetime.now(UTC) + timedelta(seconds=61))  # expired


def test_put_and_part_urls():
    store = _store()
    put = store.presigned_put_url("staging/1-x", size=1234, expires_in=3600)
    assert sigv4_valid(put, "PUT", content_length=1234) and not sigv4_valid(put, "GET", content_length=1234)
    assert not sigv4_valid(put, "PUT", content_length=1235)  # the body's size is part of the signature
    assert dict(parse_qsl(urlsplit(put).query))["X-Amz-Expires"] == "3600"
    part = store.presigned_part_url("staging/1-x", "upload.id-123", 7, size=5 << 20, expires_in=120)
    params = dict(parse_qsl(urlsplit(part).query))
    assert params["partNumber"] == "7" and params["uploadId"] == "upload.id-123"
    assert urlsplit(part).netloc == "files.example.com"
    assert sigv4_valid(part, "PUT", content_length=5 << 20)
    assert not sigv4_valid(part.replace("partNumber=7", "partNumber=8"), "PUT", content_length=5 << 20)
    assert not sigv4_valid(part, "PUT", content_length=(5 << 20) - 1)


def test_virtual_host_style_and_default_public_endpoint():
    virtual = _store(force_path_style=False, public_endpoint="https://s3.eu-west-3.amazonaws.com")
    url = virtual.presigned_get_url(KEY, expires_in=60)
    assert urlsplit(url).netloc == "hub-bucket.s3.eu-west-3.amazonaws.com"
    assert urlsplit(url).path == f"/{KEY}"
    assert sigv4_valid(url, "GET")
    internal_only = _store(public_endpoint="")  # clients reach the same address as the hub
    assert urlsplit(internal_only.presigned_get_url(KEY, expires_in=60)).netloc == "minio:9000"


@pytest.mark.parametrize("name", ["naïve model.bin", 'quo"te.bin', "a\\b.bin"])
def test_content_disposition_of_unusual_names_stays_one_header_value(name):
    url = _store().presigned_get_url(KEY, expires_in=60, disposition=present(f"dir/{name}").disposition)
    value = dict(parse_qsl(urlsplit(url).query))["response-content-disposition"]
    assert "\n" not in value and value.count('"') == 2
    assert f"filename*=UTF-8''{quote(name)}" in value
    assert sigv4_valid(url, "GET")
