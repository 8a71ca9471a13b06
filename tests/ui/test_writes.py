"""Writes in real Chromium: a repo made in /new, an upload through the page (one inline file, one above the
LFS threshold through the batch API, multipart on this hub's settings) downloaded back with the real
huggingface_hub client, a cancelled upload that commits nothing, a file edited in the browser, a file and a
folder deleted, and a user without write access shown the hub's own refusal."""

from __future__ import annotations

import pytest
from huggingface_hub import hf_hub_download

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.conftest import LFS_THRESHOLD, MULTIPART_THRESHOLD
from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up

SMALL = b"small file, committed inline\n"
# Above the multipart threshold, so the page takes the LFS batch + multipart path (parts + completion).
LARGE = bytes((i * 7 + 3) % 256 for i in range(max(MULTIPART_THRESHOLD + 12_345, LFS_THRESHOLD * 4)))


def tree_paths(hub: UiHub, user: User, repo: str) -> dict[str, dict]:
    with hub.api(user.token) as api:
        answer = api.get(f"/api/models/{repo}/tree/main", params={"recursive": "true"})
        assert answer.status_code == 200, answer.text
        return {entry["path"]: entry for entry in answer.json()}


def commit_count(hub: UiHub, user: User, repo: str) -> int:
    with hub.api(user.token) as api:
        answer = api.get(f"/api/models/{repo}/commits/main")
        assert answer.status_code == 200, answer.text
        return len(answer.json())


@pytest.fixture
def writer(ui_hub: UiHub, context) -> User:
    user = sign_up(ui_hub, "w")
    sign_in(context, user)
    return user


def create_in_page(page, name: str, private: bool = False) -> None:
    page.goto("/new")
    page.locator("#new-owner option").first.wait_for(state="attached")
    page.get_by_label("Name", exact=True).fill(name)
    if private:
        page.locator("[data-test=private]").check()
    page.get_by_role("button", name="Create repository").click()


# On S3 the LFS parts go to presigned MinIO URLs, another origin that the page's policy names.
def test_new_repo_then_upload_small_and_lfs_files(page, ui_hub: UiHub, writer: User, tmp_path) -> None:
    page.goto("/new")
    page.locator("[data-test=new-repo]").wait_for()
    page.locator(f"#new-owner option[value='{writer.name}']").wait_for(state="attached")
    assert page.get_by_label("Owner", exact=True).input_value() == writer.name
    assert axe_violations(page) == []
    screenshot(page, "new-repo")
    create_in_page(page, "up")
    repo = f"{writer.name}/up"
    page.wait_for_url(f"**/{repo}")
    # The same name again: the hub's conflict message, as it sent it.
    create_in_page(page, "up")
    error = page.locator("[data-test=error]")
    error.wait_for()
    assert "already exists" in error.inner_text()

    (tmp_path / "small.txt").write_bytes(SMALL)
    (tmp_path / "weights.bin").write_bytes(LARGE)
    page.goto(f"/{repo}/upload/main")
    page.locator("[data-test=file-input]").set_input_files([str(tmp_path / "small.txt"), str(tmp_path / "weights.bin")])
    items = page.locator("[data-test=items] li")
    assert items.count() == 2
    assert page.locator("[data-test=items] progress").count() == 2
    assert axe_violations(page) == []
    screenshot(page, "upload")
    page.get_by_label("Commit message").fill("Upload through the page")
    page.locator("[data-test=commit]").click()
    # Done (the files tab) or refused (the page's error), whichever comes first.
    page.locator("[data-test=files], [data-test=error]").first.wait_for(timeout=60_000)
    assert page.locator("[data-test=error]").count() == 0, page.locator("[data-test=error]").inner_text()
    page.wait_for_url(f"**/{repo}/tree/main")

    paths = tree_paths(ui_hub, writer, repo)
    assert "small.txt" in paths and paths["small.txt"].get("lfs") is None
    assert paths["weights.bin"]["lfs"]["size"] == len(LARGE)
    for name, data in (("small.txt", SMALL), ("weights.bin", LARGE)):
        local = hf_hub_download(repo, name, endpoint=ui_hub.url, token=writer.token, cache_dir=tmp_path / "cache")
        with open(local, "rb") as handle:
            assert handle.read() == data


def test_drop_a_folder_and_a_file(page, ui_hub: UiHub, writer: User) -> None:
    with ui_hub.api(writer.token) as api:
        assert api.post("/api/repos/create", json={"name": "drop"}).status_code == 200
    repo = f"{writer.name}/drop"
    page.goto(f"/{repo}/tree/main")
    page.locator("[data-test=upload-link]").click()
    page.wait_for_url(f"**/{repo}/upload/main")
    page.goto(f"/{repo}/upload/main/sub")
    # A DataTransfer with files as a drop gives them (webkitGetAsEntry walks folders in a real drag).
    page.locator("[data-test=drop-zone]").wait_for()
    page.evaluate("""() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(["dropped one\\n"], "one.txt"));
        transfer.items.add(new File(["dropped two\\n"], "two.txt"));
        const zone = document.querySelector('[data-test=drop-zone]');
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""")
    page.locator("[data-test=items] li").nth(1).wait_for()
    page.locator("[data-test=commit]").click()
    page.wait_for_url(f"**/{repo}/tree/main/sub")
    paths = tree_paths(ui_hub, writer, repo)
    assert {"sub/one.txt", "sub/two.txt"} <= set(paths)
    with ui_hub.api(writer.token) as api:
        assert api.get(f"/{repo}/resolve/main/sub/two.txt").content == b"dropped two\n"


def test_cancel_commits_nothing(page, ui_hub: UiHub, writer: User, tmp_path) -> None:
    with ui_hub.api(writer.token) as api:
        assert api.post("/api/repos/create", json={"name": "cancel"}).status_code == 200
    repo = f"{writer.name}/cancel"
    before = commit_count(ui_hub, writer, repo)
    held = []
    # Hold the LFS batch request (not answered, not faked) so the upload is in flight when Cancel is pressed.
    page.route("**/info/lfs/objects/batch", lambda route: held.append(route))
    (tmp_path / "big.bin").write_bytes(LARGE)
    page.goto(f"/{repo}/upload/main")
    page.locator("[data-test=file-input]").set_input_files(str(tmp_path / "big.bin"))
    page.locator("[data-test=commit]").click()
    page.locator("[data-test=cancel]").wait_for()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the batch request never started"
    page.locator("[data-test=cancel]").click()
    assert "nothing was committed" in page.locator("[data-test=status]").inner_text()
    page.unroute("**/info/lfs/objects/batch")
    page.wait_for_timeout(500)
    assert commit_count(ui_hub, writer, repo) == before
    assert "big.bin" not in tree_paths(ui_hub, writer, repo)


def test_edit_a_file_then_delete_a_file_and_a_folder(page, ui_hub: UiHub, writer: User) -> None:
    repo = f"{writer.name}/edit"
    with ui_hub.api(writer.token) as api:
        assert api.post("/api/repos/create", json={"name": "edit"}).status_code == 200
        ops = [file_op("notes.txt", b"first line\n"), file_op("gone.txt", b"x"), file_op("dir/a.txt", b"a"),
               file_op("dir/b/c.txt", b"c")]
        assert api.post(f"/api/models/{repo}/commit/main", content=ndjson(ops), headers=NDJSON).status_code == 200

    page.goto(f"/{repo}/edit/main/notes.txt")
    editor = page.locator("[data-test=editor]")
    editor.wait_for()
    assert editor.input_value() == "first line\n"
    editor.fill("edited in the browser\nsecond line\n")
    page.get_by_label("Commit message").fill("Edit notes")
    assert axe_violations(page) == []
    page.locator("[data-test=commit]").click()
    page.wait_for_url(f"**/{repo}/tree/main")
    with ui_hub.api(writer.token) as api:
        assert api.get(f"/{repo}/resolve/main/notes.txt").content == b"edited in the browser\nsecond line\n"

    page.goto(f"/{repo}/new/main/dir")
    page.get_by_label("File name").fill("made.md")
    page.locator("[data-test=editor]").fill("# made here\n")
    page.locator("[data-test=commit]").click()
    page.wait_for_url(f"**/{repo}/tree/main/dir")
    with ui_hub.api(writer.token) as api:
        assert api.get(f"/{repo}/resolve/main/dir/made.md").content == b"# made here\n"

    page.goto(f"/{repo}/delete/main/gone.txt")
    page.locator("[data-test=confirm-delete]").click()
    page.wait_for_url(f"**/{repo}/tree/main")
    page.goto(f"/{repo}/delete/main/dir")
    assert "Delete folder" in page.locator("[data-test=confirm-delete]").inner_text()
    assert axe_violations(page) == []
    page.locator("[data-test=confirm-delete]").click()
    page.wait_for_url(f"**/{repo}/tree/main")
    paths = tree_paths(ui_hub, writer, repo)
    assert "gone.txt" not in paths and not any(p.startswith("dir") for p in paths)
    assert "notes.txt" in paths


def test_upload_refused_without_write_access_shows_the_hubs_error(page, ui_hub: UiHub, context, tmp_path) -> None:
    owner = sign_up(ui_hub, "o")
    reader = sign_up(ui_hub, "r")
    repo = f"{owner.name}/theirs"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "theirs"}).status_code == 200
    with ui_hub.api(reader.token) as api:
        refused = api.post(f"/api/models/{repo}/preupload/main",
                           json={"files": [{"path": "x.txt", "sample": "", "size": 3}]})
    assert refused.status_code in (401, 403), refused.text
    expected = refused.headers["X-Error-Message"]
    before = commit_count(ui_hub, owner, repo)
    sign_in(context, reader)
    (tmp_path / "x.txt").write_bytes(b"abc")
    page.goto(f"/{repo}/upload/main")
    page.locator("[data-test=file-input]").set_input_files(str(tmp_path / "x.txt"))
    page.locator("[data-test=commit]").click()
    error = page.locator("[data-test=error]")
    error.wait_for()
    assert error.inner_text() == expected
    assert commit_count(ui_hub, owner, repo) == before


def test_new_repo_at_phone_width(playwright_browser, ui_hub: UiHub) -> None:
    user = sign_up(ui_hub, "p")
    phone = playwright_browser.new_context(base_url=ui_hub.url, viewport={"width": 375, "height": 700})
    try:
        sign_in(phone, user)
        page = phone.new_page()
        for path in ("/new", f"/{user.name}/x/upload/main"):
            page.goto(path)
            page.locator("form").first.wait_for()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    finally:
        phone.close()



def test_upload_resumes_after_a_reload_without_resending_finished_files(page, ui_hub: UiHub, writer: User,
                                                                         tmp_path) -> None:
    """The LFS batch API knows which objects the hub already holds for this repo: after a reload, dropping
    the same files again sends only what had not finished (per file; a multipart upload cut off mid-way
    starts over, the API has no way to resume one)."""
    with ui_hub.api(writer.token) as api:
        assert api.post("/api/repos/create", json={"name": "resume"}).status_code == 200
    repo = f"{writer.name}/resume"
    first = bytes((i * 13 + 1) % 256 for i in range(20_000))  # LFS, one PUT
    (tmp_path / "first.bin").write_bytes(first)
    (tmp_path / "second.bin").write_bytes(LARGE)  # LFS, multipart
    files = [str(tmp_path / "first.bin"), str(tmp_path / "second.bin")]
    sent: list[int] = []
    held = []

    def first_put_only(route) -> None:
        if route.request.method != "PUT":
            route.continue_()
        elif not sent:
            sent.append(len(route.request.post_data_buffer or b""))
            route.continue_()
        else:
            held.append(route)  # never answered: the reload cuts it off

    page.route("**/*", first_put_only)
    page.goto(f"/{repo}/upload/main")
    page.locator("[data-test=file-input]").set_input_files(files)
    page.locator("[data-test=commit]").click()
    page.locator("[data-test=items] li", has_text="first.bin").get_by_text("done").wait_for(timeout=30_000)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held and sent == [len(first)]
    page.reload()  # before unroute, which would let the held part through
    page.unroute("**/*")
    assert "second.bin" not in tree_paths(ui_hub, writer, repo)  # nothing was committed

    resent: list[int] = []
    page.route("**/*", lambda route: (resent.append(len(route.request.post_data_buffer or b""))
                                      if route.request.method == "PUT" else None, route.continue_()))
    page.locator("[data-test=file-input]").set_input_files(files)
    page.locator("[data-test=commit]").click()
    page.wait_for_url(f"**/{repo}/tree/main", timeout=60_000)
    assert resent and sum(resent) == len(LARGE), resent  # the second file's parts, nothing of the first
    paths = tree_paths(ui_hub, writer, repo)
    assert paths["first.bin"]["lfs"]["size"] == len(first) and paths["second.bin"]["lfs"]["size"] == len(LARGE)
    for name, data in (("first.bin", first), ("second.bin", LARGE)):
        local = hf_hub_download(repo, name, endpoint=ui_hub.url, token=writer.token, cache_dir=tmp_path / "cache")
        with open(local, "rb") as handle:
            assert handle.read() == data
