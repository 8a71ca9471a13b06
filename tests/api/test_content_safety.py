"""Repo content never runs at the hub's origin (issue 14): every byte-serving answer is ``nosniff`` and
``Content-Security-Policy: sandbox``, and types a browser would run or render as a document are attachments,
in every URL form of resolve, for inline and LFS files, rebuilt Xet files and LFS object downloads; on S3 the
presigned URL makes S3 answer the same disposition and type."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kohakuhub.lib.content_safety import present
from tests.api.helpers import commit, create_repo, file_op, lfs_batch, lfs_op, lfs_upload, sha256
from tests.api.test_xet import Upload, _token, _upload
from tests.s3_support import S3_MODE

PAGE = b"<html><body><script>document.title='EXECUTED'</script></body></html>"
# name -> (content, served inline)
FILES = {
    "page.html": (PAGE, False),
    "page.htm": (PAGE, False),
    "page.xhtml": (b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>', False),
    "image.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', False),
    "data.xml": (b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>', False),
    "app.js": (b"alert(1)", False),
    "style.xsl": (b"<xsl:stylesheet/>", False),
    "weights.unknownext": (PAGE, False),
    "no-extension": (PAGE, False),
    "photo.png": (b"\x89PNG\r\n\x1a\n" + PAGE, True),
    "photo.jpg": (b"\xff\xd8\xff" + PAGE, True),
    "notes.txt": (PAGE, True),
    "README.md": (PAGE, True),
    "config.json": (b'{"a": "<script>alert(1)</script>"}', True),
    "clip.mp4": (b"\x00\x00\x00\x18ftypmp42" + PAGE, True),
    "sound.mp3": (b"ID3" + PAGE, True),
}
URL_FORMS = ["/{repo}/resolve/main/{path}", "/api/models/{repo}/resolve/main/{path}"]


def _pad(data: bytes, size: int) -> bytes:
    return data + b" " * (size - len(data))


def _check(answer, name: str, inline: bool, *, typed: bool = True) -> None:
    assert answer.headers["x-content-type-options"] == "nosniff", name
    assert answer.headers["content-security-policy"] == "sandbox", name
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;"), (name, disposition)
    if typed:  # a redirect has no body, so no type
        assert answer.headers["content-type"].split(";")[0] == present(name).media_type


@pytest.fixture
def files_repo(hub_client):
    h = hub_client
    create_repo(h.client, h.token, "content")
    small = [file_op(name, data) for name, (data, _) in FILES.items()]  # under the 1 KiB LFS threshold
    big = {f"lfs/{name}": _pad(data, 4096) for name, (data, _) in FILES.items()}
    for data in big.values():
        lfs_upload(h.client, h.token, "alice/content", data)
    commit(h.client, h.token, "alice/content", small + [lfs_op(path, data) for path, data in big.items()])
    return h


def test_inline_files_in_every_url_form(files_repo):
    h = files_repo
    for name, (data, inline) in FILES.items():
        for form in URL_FORMS:
            for method in ("GET", "HEAD"):
                answer = h.client.request(method, form.format(repo="alice/content", path=name))
                assert answer.status_code == 200, (name, answer.text)
                _check(answer, name, inline)
                if method == "GET":
                    assert answer.content == data


def test_lfs_files_from_the_hub_or_from_s3(files_repo):
    h = files_repo
    for name, (data, inline) in FILES.items():
        url = f"/alice/content/resolve/main/lfs/{name}"
        _check(h.client.head(url), name, inline)
        answer = h.client.get(url, follow_redirects=False)
        if S3_MODE:  # S3's origin, not the hub's; it is still told the same disposition and type
            assert answer.status_code == 302
            _check(answer, name, inline, typed=False)
            query = parse_qs(urlsplit(answer.headers["location"]).query)
            assert query["response-content-disposition"][0] == answer.headers["content-disposition"]
            assert query["response-content-type"][0] == present(name).media_type
            followed = httpx.get(answer.headers["location"])
            assert followed.headers["content-disposition"].startswith("inline;" if inline else "attachment;")
            assert followed.headers["content-type"] == present(name).media_type
            assert followed.content == _pad(data, 4096)
        else:
            assert answer.status_code == 200
            _check(answer, name, inline)
            assert answer.content == _pad(data, 4096)


def test_lfs_object_downloads_and_rebuilt_xet_files(files_repo):
    h = files_repo
    data = _pad(PAGE, 4096)
    [obj] = lfs_batch(h.client, h.token, "alice/content", [(sha256(data), len(data))],
                      operation="download").json()["objects"]
    href = obj["actions"]["download"]["href"]
    answer = h.client.get(href) if "testserver" in href else httpx.get(href)
    assert answer.status_code == 200 and answer.content == data
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["content-type"] == "application/octet-stream"
    if "testserver" in href:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"

    up = Upload(_pad(PAGE, 70_000) + os.urandom(10))  # stored only as Xet chunks, rebuilt by the hub
    _upload(h.client, _token(h.client, h.token, repo_id="alice/content"), up)
    commit(h.client, h.token, "alice/content", [lfs_op("xet/page.html", oid=up.sha256, size=len(up.data))])
    rebuilt = h.client.get("/alice/content/resolve/main/xet/page.html")
    assert rebuilt.status_code == 200 and rebuilt.content == up.data
    _check(rebuilt, "page.html", False)


def test_error_answers_are_nosniff_too(hub_client):
    answer = hub_client.client.get("/alice/missing/resolve/main/page.html")
    assert answer.status_code in (401, 404) and answer.headers["x-content-type-options"] == "nosniff"


def test_download_true_makes_any_file_an_attachment(files_repo):
    """The Hub's ?download=true (the file page's download button), for inline and LFS files; on S3 the
    presigned URL is signed for the attachment too."""
    h = files_repo
    for path in ("notes.txt", "photo.png", "lfs/notes.txt"):
        url = f"/alice/content/resolve/main/{path}"
        assert h.client.head(url).headers["content-disposition"].startswith("inline;")
        for method in ("GET", "HEAD"):
            answer = h.client.request(method, url, params={"download": "true"}, follow_redirects=False)
            assert answer.status_code in (200, 302), (path, answer.text)
            assert answer.headers["content-disposition"].startswith("attachment;"), path
            if answer.status_code == 302:
                followed = httpx.get(answer.headers["location"])
                assert followed.headers["content-disposition"].startswith("attachment;")
        assert h.client.get(url, params={"download": "false"}).headers["content-disposition"].startswith("inline;")
