"""One person's whole day on the hub, in real Chromium, every step through the pages (nothing made by the CLI):
sign up, create a repo, upload a small file and one above the LFS threshold, see them in the tree, open the
card, a file, the history and a commit diff, make a branch and switch to it, edit a file, create a token and
download what the page uploaded with the real huggingface_hub client; then the client uploads and the page
shows it; the repo made private is the 404 page to another user's browser; an organization with that user as
a member. The other UI tests check each page in depth; this one checks that they make one product."""

from __future__ import annotations

import uuid

from huggingface_hub import HfApi, hf_hub_download

from tests.conftest import PASSWORD
from tests.ui.conftest import UiHub
from tests.ui.test_writes import LARGE, create_in_page

README = b"# Journey\n\nA model made in the browser.\n"


def join_in_page(page, name: str) -> None:
    page.goto("/join")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.locator("[data-test=signed-in]", has_text=name).wait_for()


def upload_in_page(page, repo: str, files: list, message: str) -> None:
    page.goto(f"/{repo}/upload/main")
    page.locator("[data-test=file-input]").set_input_files(files)
    page.get_by_label("Commit message").fill(message)
    page.locator("[data-test=commit]").click()
    page.locator("[data-test=files], [data-test=error]").first.wait_for(timeout=60_000)
    assert page.locator("[data-test=error]").count() == 0, page.locator("[data-test=error]").inner_text()


def make_token_in_page(page) -> str:
    page.goto("/settings/tokens")
    page.get_by_label("Name").fill("journey")
    page.get_by_label("Role").select_option("write")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-test=secret]")
    secret.wait_for()
    return secret.inner_text()


def test_a_day_on_the_hub(playwright_browser, page, ui_hub: UiHub, tmp_path) -> None:
    me, colleague = f"j{uuid.uuid4().hex[:8]}", f"k{uuid.uuid4().hex[:8]}"
    repo = f"{me}/journey"
    join_in_page(page, me)
    create_in_page(page, "journey")
    page.wait_for_url(f"**/{repo}")

    (tmp_path / "README.md").write_bytes(README)
    (tmp_path / "weights.bin").write_bytes(LARGE)
    upload_in_page(page, repo, [str(tmp_path / "README.md"), str(tmp_path / "weights.bin")], "First weights")
    files = page.locator("[data-test=files]")
    files.locator("tr", has_text="weights.bin").get_by_text("LFS").wait_for()
    files.get_by_text("README.md").wait_for()

    page.goto(f"/{repo}")
    page.locator("[data-test=card] h1", has_text="Journey").wait_for()
    page.goto(f"/{repo}/tree/main")
    page.locator("[data-test=files]").get_by_role("link", name="weights.bin").click()
    page.wait_for_url(f"**/{repo}/blob/main/weights.bin")
    page.locator("[data-test=lfs-info]").wait_for()
    page.locator("[data-test=history]").click()
    page.wait_for_url(f"**/{repo}/commits/main/weights.bin")
    page.locator("[data-test=commit-row]").first.locator("[data-test=sha]").click()
    page.locator("[data-test=commit-title]", has_text="First weights").wait_for()
    page.locator("[data-test=diff-file]", has_text="README.md").locator("tr.add").first.wait_for()
    assert page.locator("[data-test=diff-file]", has_text="weights.bin").locator("[data-test=sizes]").count() == 1

    page.goto(f"/{repo}/settings")
    page.get_by_label("New branch").fill("dev")
    page.get_by_label("From revision").fill("main")
    page.get_by_role("button", name="Create branch").click()
    page.locator("[data-test=branch-list] li[data-ref='dev']").wait_for()
    page.goto(f"/{repo}/tree/main")
    page.locator("[data-test=revision] option[value=dev]").wait_for(state="attached")
    page.get_by_label("Revision").select_option("dev")
    page.wait_for_url(f"**/{repo}/tree/dev")
    page.locator("[data-test=files]").get_by_text("weights.bin").wait_for()

    page.goto(f"/{repo}/edit/main/README.md")
    editor = page.locator("[data-test=editor]")
    editor.wait_for()
    editor.fill("# Journey\n\nEdited in the browser.\n")
    page.get_by_label("Commit message").fill("Edit the card")
    page.locator("[data-test=commit]").click()
    page.wait_for_url(f"**/{repo}/tree/main")

    token = make_token_in_page(page)
    for name, data in (("weights.bin", LARGE), ("README.md", b"# Journey\n\nEdited in the browser.\n")):
        local = hf_hub_download(repo, name, endpoint=ui_hub.url, token=token, cache_dir=tmp_path / "cache")
        with open(local, "rb") as handle:
            assert handle.read() == data, name
    client = HfApi(endpoint=ui_hub.url, token=token)
    client.upload_file(path_or_fileobj=b"from the client\n", path_in_repo="from-client.txt", repo_id=repo,
                       commit_message="Client upload")
    page.goto(f"/{repo}/tree/main")
    page.locator("[data-test=files]").get_by_text("from-client.txt").wait_for()
    page.goto(f"/{repo}/commits/main")
    assert page.locator("[data-test=commit-title]").first.inner_text() == "Client upload"

    other = playwright_browser.new_context(base_url=ui_hub.url)
    other.set_default_timeout(15_000)
    try:
        theirs = other.new_page()
        join_in_page(theirs, colleague)
        theirs.goto(f"/{repo}")
        theirs.locator("[data-test=repo-id]", has_text=repo).wait_for()

        page.goto(f"/{repo}/settings")
        page.locator("[data-test=toggle-visibility]").click()
        page.locator("[data-test=current-visibility]", has_text="private").wait_for()
        theirs.goto(f"/{repo}")
        theirs.locator("[data-test=not-found]").wait_for()

        org = f"o{uuid.uuid4().hex[:8]}"
        page.goto("/organizations/new")
        page.get_by_label("Name").fill(org)
        page.get_by_role("button", name="Create organization").click()
        page.wait_for_url(f"**/organizations/{org}")
        page.locator("[data-test=org-settings-link]").click()
        page.get_by_label("Username").fill(colleague)
        page.get_by_role("button", name="Add member").click()
        page.locator(f"[data-member={colleague}]").wait_for()
        theirs.goto(f"/organizations/{org}")
        theirs.locator(f"[data-test=members] >> text={colleague}").wait_for()
    finally:
        other.close()
