"""The file view (/{ns}/{name}/blob/{rev}/{path}) in real Chromium: highlighted text with linkable lines,
Markdown with its source, images, the LFS pointer, a safetensors header read with two Range requests only,
CSV/JSONL/Parquet previews, the links around a file, the 404 page and the hub's own error message, and
hostile files (scripts, handlers, javascript: links, SVG with script, HTML) that never run."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.api.helpers import NDJSON, file_op, lfs_op, lfs_upload, ndjson
from tests.conftest import LFS_THRESHOLD
from tests.s3_support import S3_MODE
from tests.ui.conftest import UiHub, axe_violations, screenshot

REPO = "alice/ui-files"
CODE = "".join(f"value_{i} = {i}  # line {i + 1}\n" for i in range(40)) + 'BAD = "<script>window.__pwned = 1</script>"\n'
HOSTILE_README = (
    "# Hostile card\n\n<script>window.__pwned = 1; alert(1)</script>\n\n"
    '<img src=x onerror="window.__pwned = 1">\n\n[click](javascript:window.__pwned=1)\n\n![pic](pixel.png)\n'
)
EVIL_HTML = '<html><body><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1"></body></html>\n'
EVIL_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="window.__pwned = 1">'
            '<script>window.__pwned = 1</script><rect width="10" height="10" fill="red"/></svg>\n')
CSV = "name,score,note\nada,1,\"quoted, with comma\"\nbob,2,plain\n"
JSONL = '{"a": 1, "b": "x"}\n{"a": 2, "c": [1, 2]}\n'
BIG_TEXT = "".join(f"row {i:07d} of a big text file\n" for i in range(40_000))  # 1.2 MB, above the 1 MB shown


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def safetensors_file() -> tuple[bytes, int]:
    """A real safetensors file (written by hand: the format is 8-byte LE length, JSON header, data) and its
    header length. The data makes it larger than the LFS threshold."""
    tensors = {"embed.weight": ("F16", [64, 16]), "layer.0.bias": ("F32", [16]), "step": ("I64", [])}
    sizes = {"F16": 2, "F32": 4, "I64": 8}
    header: dict = {"__metadata__": {"format": "pt", "note": "<b>not html</b>"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + count * sizes[dtype]]}
        offset += count * sizes[dtype]
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    return struct.pack("<Q", len(text)) + text + bytes(offset), len(text)


def parquet_file() -> bytes:
    """80 rows in two row groups of 40, small enough to stay below the LFS threshold."""
    table = pa.table({"id": pa.array(range(80), pa.int32()), "w": [f"w{i % 3}" for i in range(80)]})
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=40, store_schema=False, compression="none", write_statistics=False)
    return out.getvalue()


SAFETENSORS, HEADER_LENGTH = safetensors_file()
PARQUET = parquet_file()


@pytest.fixture(scope="module")
def repo(ui_hub: UiHub) -> str:
    """The viewer files; the LFS ones through the batch API's basic transfer (not Xet, which the hub would
    rebuild and serve itself), so that on S3 their resolve redirects to MinIO as a client's download does."""
    assert len(SAFETENSORS) > LFS_THRESHOLD and len(PARQUET) < LFS_THRESHOLD
    small = {
        "code.py": CODE.encode(), "README.md": HOSTILE_README.encode(), "docs/evil.html": EVIL_HTML.encode(),
        "logo.svg": EVIL_SVG.encode(), "pixel.png": png_1x1(), "data/train.csv": CSV.encode(),
        "data/rows.jsonl": JSONL.encode(), "data/table.parquet": PARQUET, "blob.dat": b"\x00\x01binary\x00" * 10,
    }
    large = {"model.safetensors": SAFETENSORS, "big.txt": BIG_TEXT.encode()}
    token = ui_hub.server.token
    with ui_hub.api() as api, httpx.Client(base_url=ui_hub.url, timeout=60) as plain:
        assert api.post("/api/repos/create", json={"name": REPO.split("/")[1]}).status_code == 200
        for data in large.values():
            lfs_upload(plain, token, REPO, data)  # no default Authorization: presigned S3 URLs refuse it
        ops = [file_op(p, d) for p, d in small.items()] + [lfs_op(p, d) for p, d in large.items()]
        committed = api.post(f"/api/models/{REPO}/commit/main", headers=NDJSON,
                             content=ndjson(ops, summary="add viewer files"))
        assert committed.status_code == 200, committed.text
        assert api.post(f"/api/models/{REPO}/branch/dev").status_code == 200
        dev = api.post(f"/api/models/{REPO}/commit/dev", headers=NDJSON,
                       content=ndjson([file_op("code.py", b"on_dev = True\n")], summary="dev code"))
        assert dev.status_code == 200, dev.text
    return REPO


def image_loaded(page, width: int | None = None) -> None:
    """Wait until the file view's <img> has loaded (polled: the page's CSP refuses wait_for_function's eval)."""
    image = page.locator("[data-test=image]")
    image.wait_for()
    for _ in range(50):
        if image.evaluate("i => i.complete && i.naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    assert image.evaluate("i => i.naturalWidth") == (width or image.evaluate("i => i.naturalWidth")) > 0


def watch_for_code(page) -> list[str]:
    """Everything a page's hostile content could do: a dialog, a console message, or setting __pwned."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog {d.message}"), d.dismiss()))
    page.on("console", lambda m: seen.append(f"console {m.text}") if "pwned" in m.text else None)
    return seen


def assert_nothing_ran(page, seen: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None
    assert seen == []
    view = page.locator("[data-test=file-view]")
    assert view.locator("script, iframe, object, embed, svg, [onerror], [onload], a[href^='javascript:']").count() == 0


def test_code_is_highlighted_with_linkable_lines(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/code.py#L30")
    row = page.locator("#L30")
    row.wait_for()
    page.locator("[data-test=code] .hljs-comment").first.wait_for()  # highlight.js arrived (its own chunk)
    assert "line 30" in row.inner_text()
    assert "chosen" in (row.get_attribute("class") or "")
    assert row.is_visible() and page.evaluate("document.getElementById('L30').getBoundingClientRect().top") > 0
    assert page.locator("tr.chosen").count() == 1
    page.get_by_label("Line 5", exact=True).click()
    page.wait_for_url(re.compile(r"#L5$"))
    page.get_by_label("Line 8", exact=True).click(modifiers=["Shift"])
    page.wait_for_url(re.compile(r"#L5-L8$"))
    assert page.locator("tr.chosen").count() == 4
    assert len(CODE) == 1015 and page.locator("[data-test=file-size]").inner_text() == "1.0 KB"
    assert axe_violations(page) == []
    screenshot(page, "file-view")


def test_links_around_a_file(page, repo: str, ui_hub: UiHub) -> None:
    page.goto(f"/{repo}/tree/main")
    page.locator("[data-test=files]").get_by_role("link", name="code.py").click()
    page.wait_for_url(f"**/{repo}/blob/main/code.py")
    page.locator("[data-test=code]").wait_for()
    assert page.locator("[data-test=history]").get_attribute("href") == f"/{repo}/commits/main/code.py"
    raw = page.locator("[data-test=raw]").get_attribute("href")
    assert raw == f"/{repo}/resolve/main/code.py"
    assert page.request.get(raw).text() == CODE
    download = page.locator("[data-test=download]").get_attribute("href")
    assert download == f"/{repo}/resolve/main/code.py?download=true"
    answer = page.request.get(download)
    assert answer.body() == CODE.encode()
    assert answer.headers["content-disposition"].startswith("attachment")
    crumbs = page.locator("[data-test=crumbs]")
    assert crumbs.get_by_role("link", name="main").get_attribute("href") == f"/{repo}/tree/main"
    page.locator("[data-test=revision] option[value=dev]").wait_for(state="attached")
    page.get_by_label("Revision").select_option("dev")
    page.wait_for_url(f"**/{repo}/blob/dev/code.py")
    page.locator("[data-test=code]").get_by_text("on_dev = True").wait_for()
    # A file in a folder: each folder of the path links to its tree page.
    page.goto(f"/{repo}/blob/main/data/train.csv")
    page.locator("[data-test=crumbs]").get_by_role("link", name="data").click()
    page.wait_for_url(f"**/{repo}/tree/main/data")


def test_markdown_renders_sanitized_and_toggles_to_source(page, repo: str) -> None:
    seen = watch_for_code(page)
    page.goto(f"/{repo}/blob/main/README.md")
    rendered = page.locator("[data-test=markdown]")
    rendered.get_by_role("heading", name="Hostile card").wait_for()
    assert rendered.locator("img").get_attribute("src") == f"/{repo}/resolve/main/pixel.png"
    assert_nothing_ran(page, seen)
    page.locator("[data-test=show-source]").click()
    code = page.locator("[data-test=code]")
    code.get_by_text("<script>window.__pwned = 1; alert(1)</script>").wait_for()
    assert_nothing_ran(page, seen)


@pytest.mark.parametrize("path", ["docs/evil.html", "logo.svg", "code.py"])
def test_hostile_files_never_run(page, repo: str, path: str) -> None:
    seen = watch_for_code(page)
    page.goto(f"/{repo}/blob/main/{path}")
    page.locator("[data-test=file-view]").wait_for()
    if path.endswith(".svg"):
        # An <img> shows an SVG without ever running its script; the markup never enters the DOM.
        image_loaded(page, 10)
        assert page.locator("[data-test=image]").get_attribute("src") == f"/{repo}/resolve/main/logo.svg"
    else:
        page.locator("[data-test=code]").get_by_text("window.__pwned = 1").first.wait_for()
    page.wait_for_timeout(300)
    assert_nothing_ran(page, seen)


def test_image_is_shown_from_its_resolve_url(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/pixel.png")
    image_loaded(page, 1)
    assert page.locator("[data-test=image]").get_attribute("alt") == "pixel.png"


def test_binary_file_shows_its_size(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/blob.dat")
    page.locator("[data-test=binary]").wait_for()
    assert "90 B" in page.locator("[data-test=binary]").inner_text()
    assert page.locator("[data-test=code]").count() == 0


def test_csv_and_jsonl_previews(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/data/train.csv")
    table = page.locator("[data-test=preview-table]")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == ["name", "score", "note"]
    assert table.locator("tbody tr").nth(0).locator("td").all_inner_texts() == ["ada", "1", "quoted, with comma"]
    page.goto(f"/{repo}/blob/main/data/rows.jsonl")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == ["a", "b", "c"]
    assert table.locator("tbody tr").nth(1).locator("td").all_inner_texts() == ["2", "", "[1,2]"]
    assert axe_violations(page) == []


def test_parquet_preview_reads_the_first_row_group(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/data/table.parquet")
    summary = page.locator("[data-test=parquet-summary]")
    summary.wait_for()
    assert "80 rows" in summary.inner_text() and "2 row groups" in summary.inner_text()
    table = page.locator("[data-test=preview-table]")
    assert table.locator("th").all_inner_texts() == ["id", "w"]
    assert table.locator("tbody tr").count() == 40
    assert table.locator("tbody tr").nth(4).locator("td").all_inner_texts() == ["4", "w1"]
    screenshot(page, "file-view-parquet")


def test_resolve_answers_ranges_on_this_layout(repo: str, ui_hub: UiHub) -> None:
    """What the viewers rely on: resolve (directly, or by its redirect to a presigned URL on S3) answers 206."""
    with ui_hub.api() as api:
        for path, data in (("model.safetensors", SAFETENSORS), ("code.py", CODE.encode())):
            answer = api.get(f"/{repo}/resolve/main/{path}", headers={"Range": "bytes=0-7"}, follow_redirects=True)
            assert answer.status_code == 206, (path, answer.status_code)
            assert answer.content == data[:8]
        head = api.get(f"/{repo}/resolve/main/model.safetensors", headers={"Range": "bytes=0-7"})
        assert head.status_code == (302 if S3_MODE else 206)


# On S3 an LFS file's resolve answers 302 to a presigned MinIO URL, another origin: the page's policy
# (kohakuhub/api/ui.py's page_policy, and nginx's) lets the redirected Range reads through.
def test_safetensors_header_from_two_small_range_reads(page, repo: str) -> None:
    resolves: list[dict] = []
    console: list[str] = []
    page.on("request", lambda r: resolves.append(r.headers) if "/resolve/" in r.url else None)
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"/{repo}/blob/main/model.safetensors")
    page.locator("[data-test=lfs-info]").wait_for()
    page.locator("[data-test=param-total], [data-test=safetensors-error]").wait_for()
    failed = page.locator("[data-test=safetensors-error]")
    assert failed.count() == 0, (failed.inner_text(), console)
    total = page.locator("[data-test=param-total]")
    assert "1,041" in total.inner_text() and "3 tensors" in total.inner_text()
    assert page.locator("[data-test=param-dtypes] li").all_inner_texts() == ["F16 1.0K", "F32 16", "I64 1"]
    rows = page.locator("[data-test=tensors] tbody tr")
    assert rows.nth(0).locator("td").all_inner_texts() == ["embed.weight", "[64, 16]", "F16"]
    assert rows.nth(2).locator("td").all_inner_texts() == ["step", "[]", "I64"]
    assert "<b>not html</b>" in page.locator("[data-test=metadata]").inner_text()
    # Only the 8 length bytes and the header were asked for: never the tensors.
    ranges = sorted(h.get("range") for h in resolves)
    assert ranges == ["bytes=0-7", f"bytes=8-{8 + HEADER_LENGTH - 1}"]
    assert axe_violations(page) == []
    screenshot(page, "file-view-safetensors")


def test_lfs_file_shows_its_pointer(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/model.safetensors")
    pointer = page.locator("[data-test=lfs-pointer]")
    pointer.wait_for()
    oid = page.locator("[data-test=lfs-oid]").inner_text()
    import hashlib
    assert oid == hashlib.sha256(SAFETENSORS).hexdigest()
    assert pointer.inner_text().strip().splitlines() == [
        "version https://git-lfs.github.com/spec/v1", f"oid sha256:{oid}", f"size {len(SAFETENSORS)}"]


def test_big_text_shows_its_first_megabyte(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/big.txt")
    page.locator("[data-test=truncated]").wait_for()
    page.locator("[data-test=code] #L1").wait_for()  # the first screen comes first, the rest between frames
    page.locator("[data-test=code][data-complete=true]").wait_for()
    shown = page.locator("[data-test=code] tbody tr")
    # 1 MB holds 32,258 whole lines of 31 bytes; the cut 32,259th is dropped.
    assert shown.count() == 1_000_000 // 31
    assert page.locator("[data-test=truncated] a").get_attribute("href") == f"/{repo}/resolve/main/big.txt"


def test_missing_file_is_the_404_page(page, repo: str) -> None:
    page.goto(f"/{repo}/blob/main/no/such/file.txt")
    page.locator("[data-test=not-found]").wait_for()
    page.goto("/alice/no-such-repo-anywhere/blob/main/x.txt")
    page.locator("[data-test=not-found]").wait_for()


def test_failed_call_shows_the_hub_message(page, repo: str) -> None:
    page.route("**/paths-info/**", lambda route: route.fulfill(
        status=503, headers={"X-Error-Message": "The metadata database is unavailable"}, body="{}"))
    page.goto(f"/{repo}/blob/main/code.py")
    error = page.locator("[data-test=error]")
    error.wait_for()
    assert error.inner_text() == "The metadata database is unavailable"


def test_usable_on_a_phone(page, repo: str) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    for path in ("code.py", "data/train.csv", "README.md"):
        page.goto(f"/{repo}/blob/main/{path}")
        page.locator("[data-test=file-view]").wait_for()
        page.locator("[data-test=code], [data-test=preview-table], [data-test=markdown]").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_dataset_files_have_blob_pages(page, ui_hub: UiHub) -> None:
    with ui_hub.api() as api:
        made = api.post("/api/repos/create", json={"name": "ui-files-ds", "type": "dataset"})
        assert made.status_code == 200, made.text
        committed = api.post("/api/datasets/alice/ui-files-ds/commit/main", headers=NDJSON,
                             content=ndjson([file_op("train.csv", CSV.encode())]))
        assert committed.status_code == 200, committed.text
    page.goto("/datasets/alice/ui-files-ds/tree/main")
    page.locator("[data-test=files]").get_by_role("link", name="train.csv").click()
    page.wait_for_url("**/datasets/alice/ui-files-ds/blob/main/train.csv")
    page.locator("[data-test=preview-table]").wait_for()
    assert httpx.get(f"{ui_hub.url}/datasets/alice/ui-files-ds/resolve/main/train.csv").text == CSV
