"""History and diffs in real Chromium: a revision's commits a page at a time, one file's history, a commit's
text and LFS changes, switching branch, the compare page, private repos, and hostile commit content."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import NDJSON, file_op, lfs_op, lfs_upload, ndjson, sha256
from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up

PAGE = 30  # CommitsPage.vue
LFS_OLD = b"O" * 3000
LFS_NEW = b"N" * 5000
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _commit(api, repo: str, ops: list[dict], summary: str, *, revision: str = "main",
            description: str = "") -> str:
    resp = api.post(f"/api/models/{repo}/commit/{revision}", headers=NDJSON,
                    content=ndjson(ops, summary=summary, description=description))
    assert resp.status_code == 200, resp.text
    return resp.json()["commitOid"]


@pytest.fixture(scope="module")
def owner(ui_hub: UiHub) -> User:
    return sign_up(ui_hub, "hist")


@pytest.fixture(scope="module")
def long_repo(ui_hub: UiHub, owner: User) -> str:
    """35 commits on top of the initial one; every 5th also edits docs/note.txt; a branch dev with one more."""
    repo = f"{owner.name}/long"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "long"}).status_code == 200
        for i in range(1, 36):
            ops = [file_op("counter.txt", b"%d\n" % i)]
            if i % 5 == 0:
                ops.append(file_op("docs/note.txt", b"note %d\n" % i))
            _commit(api, repo, ops, f"step {i:02d}")
        assert api.post(f"/api/models/{repo}/branch/dev").status_code == 200
        _commit(api, repo, [file_op("dev.txt", b"dev\n")], "only on dev", revision="dev")
    return repo


def test_history_pages_and_a_file_history(page, long_repo: str) -> None:
    page.goto(f"/{long_repo}/commits/main")
    rows = page.locator("[data-test=commit-row]")
    rows.first.wait_for()
    assert rows.count() == PAGE
    assert page.locator("[data-test=total]").inner_text() == "36 commits"
    first = rows.first
    assert first.locator("[data-test=commit-title]").inner_text() == "step 35"
    assert first.locator("time").get_attribute("title").endswith("UTC")  # absolute date on hover
    sha_link = first.locator("[data-test=sha]")
    assert len(sha_link.inner_text()) == 7
    assert first.locator("[data-test=browse]").get_attribute("href").startswith(f"/{long_repo}/tree/")
    assert axe_violations(page) == []
    screenshot(page, "history")

    page.locator("[data-test=older]").click()
    page.wait_for_url("**/commits/main?p=1")
    page.get_by_text("step 05", exact=True).wait_for()
    assert rows.count() == 6 and rows.last.locator("[data-test=commit-title]").inner_text() == "initial commit"
    assert page.locator("[data-test=older]").count() == 0
    page.locator("[data-test=newer]").click()
    page.get_by_text("step 35", exact=True).wait_for()

    # The files tab's History link, on a folder, then the breadcrumb down to one file.
    page.goto(f"/{long_repo}/tree/main/docs")
    page.locator("[data-test=history-link]").click()
    page.wait_for_url(f"**/{long_repo}/commits/main/docs")
    page.get_by_text("step 35", exact=True).wait_for()
    titles = rows.locator("[data-test=commit-title]").all_inner_texts()
    assert titles == [f"step {i:02d}" for i in range(35, 0, -5)]
    assert page.locator("[data-test=total]").count() == 0  # the hub does not count a path's history
    assert page.locator("[data-test=history-path]").inner_text().split(" / ")[1:] == ["docs"]
    page.goto(f"/{long_repo}/commits/main/counter.txt")
    page.get_by_text("step 35", exact=True).wait_for()
    assert rows.count() == PAGE and page.locator("[data-test=older]").count() == 1
    assert axe_violations(page) == []


def test_switch_branch_on_the_commits_page(page, long_repo: str) -> None:
    page.goto(f"/{long_repo}/commits/main")
    page.get_by_text("step 35", exact=True).wait_for()
    assert page.get_by_text("only on dev").count() == 0
    page.locator("[data-test=revision] option[value=dev]").wait_for(state="attached")
    page.get_by_label("Revision").select_option("dev")
    page.wait_for_url(f"**/{long_repo}/commits/dev")
    page.get_by_text("only on dev", exact=True).wait_for()


def test_commit_page_shows_a_text_diff_and_an_lfs_change(page, ui_hub: UiHub, owner: User) -> None:
    repo = f"{owner.name}/diffs"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "diffs"}).status_code == 200
        # A client without the Authorization header: S3 refuses a presigned URL that also carries one.
        with httpx.Client(base_url=ui_hub.url, timeout=60) as plain:
            for data in (LFS_OLD, LFS_NEW):
                lfs_upload(plain, owner.token, repo, data)
        parent = _commit(api, repo, [file_op("code.py", b"a = 1\nb = 2\nc = 3\n"), lfs_op("w.bin", LFS_OLD)], "base")
        sha = _commit(api, repo, [file_op("code.py", b"a = 1\nb = 20\nc = 3\nd = 4\n"), lfs_op("w.bin", LFS_NEW)],
                      "Tune b", description="Why: b was too small.\nSecond line.")
    page.goto(f"/{repo}/commit/{sha}")
    page.locator("[data-test=commit-title]").wait_for()
    assert page.locator("[data-test=commit-title]").inner_text() == "Tune b"
    assert page.locator("[data-test=commit-message]").inner_text() == "Why: b was too small.\nSecond line."
    assert page.locator("[data-test=author]").inner_text() == owner.name
    assert page.locator("[data-test=full-sha]").inner_text() == sha
    assert page.locator("[data-test=changes-summary]").inner_text() == "2 files changed, +2 −1"

    code = page.locator("[data-test=diff-file]", has_text="code.py")
    removed = code.locator("tr.del")
    added = code.locator("tr.add")
    assert removed.count() == 1 and added.count() == 2
    assert removed.locator("td").all_inner_texts()[:2] == ["2", ""]  # old line 2, no new line
    assert added.first.locator("td").all_inner_texts()[:2] == ["", "2"]
    assert added.first.locator("td.line").inner_text().endswith("b = 20")
    assert code.locator("tr.context").first.locator("td").all_inner_texts()[:2] == ["1", "1"]

    lfs = page.locator("[data-test=diff-file]", has_text="w.bin")
    sizes = lfs.locator("[data-test=sizes]").inner_text()
    assert "3.0 KB" in sizes and "5.0 KB" in sizes, sizes
    assert sha256(LFS_OLD)[:12] in sizes and sha256(LFS_NEW)[:12] in sizes
    assert lfs.locator("table").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "commit-diff")

    # Collapsing a file hides its lines; the parent link goes to the parent commit.
    code.locator("button.toggle").click()
    assert code.locator("tr").count() == 0 and code.locator("button.toggle").get_attribute("aria-expanded") == "false"
    page.locator("[data-test=parents] a").click()
    page.wait_for_url(f"**/{repo}/commit/{parent}")
    page.get_by_text("base", exact=True).wait_for()


def test_compare_page(page, long_repo: str) -> None:
    page.goto(f"/{long_repo}/compare/main...dev")
    page.locator("[data-test=compare-summary]").wait_for()
    assert page.locator("[data-test=commit-title]").all_inner_texts() == ["only on dev"]
    files = page.locator("[data-test=diff-file]")
    assert files.count() == 1 and files.locator("[data-test=path]").inner_text() == "dev.txt"
    assert axe_violations(page) == []
    # The other way round: dev has everything main has.
    page.locator("[data-test=compare-base]").fill("dev")
    page.locator("[data-test=compare-head]").fill("main")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_url(f"**/{long_repo}/compare/dev...main")
    page.get_by_text("None: main has nothing that dev lacks.").wait_for()
    assert page.locator("[data-test=diff-file]").count() == 0
    page.locator("[data-test=compare-head]").fill("no-such-branch")
    page.get_by_role("button", name="Compare", exact=True).click()
    assert "no-such-branch" in page.locator("[data-test=compare-error]").inner_text()


def test_a_private_repos_history_is_a_404_page_to_others(page, ui_hub: UiHub, owner: User, context) -> None:
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "hidden", "private": True}).status_code == 200
        _commit(api, f"{owner.name}/hidden", [file_op("secret.txt", b"s\n")], "secret work")
    sign_in(context, sign_up(ui_hub, "other"))
    for path in ("commits/main", "commit/main", "compare/main...main"):
        page.goto(f"/{owner.name}/hidden/{path}")
        page.locator("[data-test=not-found]").wait_for()
        assert "secret work" not in page.content()


def test_hostile_message_and_diff_lines_stay_text(page, ui_hub: UiHub, owner: User) -> None:
    repo = f"{owner.name}/hostile"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "hostile"}).status_code == 200
        sha = _commit(api, repo, [file_op(f"x{HOSTILE[:8]}.html", (HOSTILE + "\n").encode())], HOSTILE,
                      description=HOSTILE)
    page.goto(f"/{repo}/commit/{sha}")
    page.locator("[data-test=commit-title]").wait_for()
    assert page.locator("[data-test=commit-title]").inner_text() == HOSTILE
    assert page.locator("[data-test=commit-message]").inner_text() == HOSTILE
    assert page.locator("table.diff tr.add td.line").first.inner_text().endswith(HOSTILE)
    page.goto(f"/{repo}/commits/main")
    page.locator("[data-test=commit-title]").first.wait_for()
    assert page.locator("[data-test=commit-title]").first.inner_text() == HOSTILE
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main img, main script").count() == 0


def test_commit_page_at_phone_width(playwright_browser, ui_hub: UiHub, long_repo: str) -> None:
    phone = playwright_browser.new_context(base_url=ui_hub.url, viewport={"width": 375, "height": 740})
    try:
        page = phone.new_page()
        page.goto(f"/{long_repo}/commit/main")
        page.locator("[data-test=diff-file]").first.wait_for()
        # Long lines scroll inside their table; the page itself does not get wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.goto(f"/{long_repo}/commits/main")
        page.locator("[data-test=commit-row]").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert axe_violations(page) == []
    finally:
        phone.close()


def test_a_large_commit_opens_only_its_first_files(page, ui_hub: UiHub, owner: User) -> None:
    repo = f"{owner.name}/wide"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": "wide"}).status_code == 200
        sha = _commit(api, repo, [file_op(f"f/{i:03d}.txt", b"%d\n" % i) for i in range(305)], "many files")
    page.goto(f"/{repo}/commit/{sha}")
    page.locator("[data-test=files-truncated]").wait_for()
    assert page.locator("[data-test=files-truncated]").inner_text() == "Showing the first 300 of 305 changed files."
    files = page.locator("[data-test=diff-file]")
    assert files.count() == 300
    assert page.locator("table.diff").count() == 20  # the rest are collapsed: no lines rendered
    later = files.nth(25)
    assert later.locator("button.toggle").get_attribute("aria-expanded") == "false"
    later.locator("button.toggle").focus()
    page.keyboard.press("Enter")
    later.locator("table.diff").wait_for()
    assert later.locator("tr.add td.line").inner_text().endswith("25")
    page.get_by_role("button", name="Collapse all").click()
    assert page.locator("table.diff").count() == 0
