"""The repo page's files tab in real Chromium: the branch switcher shows that branch's files, last commits
arrive per entry, and a 10,000-entry folder shows its first page and a control for more."""

from __future__ import annotations

import pytest

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.ui.conftest import UiHub, axe_violations, screenshot


@pytest.fixture(scope="module")
def branch_repo(ui_hub: UiHub) -> str:
    with ui_hub.api() as api:
        assert api.post("/api/repos/create", json={"name": "ui-branches"}).status_code == 200
        main = api.post("/api/models/alice/ui-branches/commit/main", headers=NDJSON,
                        content=ndjson([file_op("on-main.txt", b"m")], summary="add main file"))
        assert main.status_code == 200, main.text
        made = api.post("/api/models/alice/ui-branches/branch/dev")
        assert made.status_code == 200, made.text
        dev = api.post("/api/models/alice/ui-branches/commit/dev", headers=NDJSON,
                       content=ndjson([file_op("only-on-dev.txt", b"d")], summary="dev only"))
        assert dev.status_code == 200, dev.text
    return "alice/ui-branches"


def test_switcher_shows_the_branch_files_and_last_commits(page, branch_repo: str) -> None:
    page.goto(f"/{branch_repo}/tree/main")
    files = page.locator("[data-test=files]")
    files.get_by_text("on-main.txt").wait_for()
    assert "only-on-dev.txt" not in files.inner_text()
    row = files.locator("tr", has_text="on-main.txt")
    row.get_by_text("add main file").wait_for()  # lastCommit of the entry, fetched after the rows
    page.locator("[data-test=revision] option[value=dev]").wait_for(state="attached")
    page.get_by_label("Revision").select_option("dev")
    page.wait_for_url(f"**/{branch_repo}/tree/dev")
    files.get_by_text("only-on-dev.txt").wait_for()
    files.locator("tr", has_text="only-on-dev.txt").get_by_text("dev only").wait_for()
    assert axe_violations(page) == []


def test_a_10000_entry_folder_shows_a_first_page_and_more(page, ui_hub: UiHub) -> None:
    with ui_hub.api() as api:
        assert api.post("/api/repos/create", json={"name": "ui-big"}).status_code == 200
        ops = [file_op(f"big/f{i:05d}.txt", b"x") for i in range(10_000)]
        committed = api.post("/api/models/alice/ui-big/commit/main", content=ndjson(ops), headers=NDJSON,
                             timeout=120)
        assert committed.status_code == 200, committed.text
    page.goto("/alice/ui-big/tree/main/big")
    rows = page.locator("[data-test=files] tr")
    page.locator("[data-test=files]").get_by_text("f00000.txt", exact=True).wait_for()
    assert rows.count() == 100
    page.locator("[data-test=more]").click()
    page.locator("[data-test=files]").get_by_text("f00199.txt", exact=True).wait_for()
    assert rows.count() == 200
    assert page.locator("[data-test=files]").get_by_text("f00200.txt", exact=True).count() == 0


def test_relative_readme_image_points_at_the_repo_file(page, ui_hub: UiHub) -> None:
    with ui_hub.api() as api:
        assert api.post("/api/repos/create", json={"name": "ui-image"}).status_code == 200
        ops = [file_op("README.md", b"# Pic\n\n![logo](img/logo.txt)\n"), file_op("img/logo.txt", b"pixels")]
        committed = api.post("/api/models/alice/ui-image/commit/main", content=ndjson(ops), headers=NDJSON)
        assert committed.status_code == 200, committed.text
    page.goto("/alice/ui-image")
    image = page.locator("[data-test=card] img")
    image.wait_for(state="attached")
    src = image.get_attribute("src")
    assert src == "/alice/ui-image/resolve/main/img/logo.txt"
    assert page.request.get(src).body() == b"pixels"


CARD_EXTRAS = b"""# Extras

Inline $E = mc^2$ and a block:

$$
\\sum_{i=1}^{n} x_i
$$

```python
import os
```

```mermaid
graph TD
  A["<img src=x onerror=alert(1)>"] --> B[Done]
  click A href "javascript:alert(2)"
```

```mermaid
this is not a diagram
```
"""


def test_card_typesets_math_draws_diagrams_and_highlights_code(page, ui_hub: UiHub) -> None:
    """Each part loads only when the card has it; a diagram is an image (its text can run nothing), a bad
    one stays code."""
    with ui_hub.api() as api:
        assert api.post("/api/repos/create", json={"name": "ui-extras"}).status_code == 200
        committed = api.post("/api/models/alice/ui-extras/commit/main", content=ndjson([file_op("README.md", CARD_EXTRAS)]),
                             headers=NDJSON)
        assert committed.status_code == 200, committed.text
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto("/alice/ui-extras")
    card = page.locator("[data-test=card][data-enhanced=true]")
    card.wait_for()
    assert card.locator(".math-inline math").count() == 1
    assert card.locator(".math-block math munderover, .math-block math msubsup").count() >= 1
    assert card.locator("code .hljs-keyword").first.inner_text() == "import"
    diagram = card.locator("img.mermaid-diagram")
    assert diagram.count() == 1 and diagram.get_attribute("src").startswith("blob:")
    page.wait_for_function("document.querySelector('img.mermaid-diagram').naturalWidth > 0")
    assert card.locator("pre.mermaid-error code").inner_text().startswith("this is not a diagram")
    assert page.locator("body > :not(#app)").count() == 0  # no error picture of Mermaid's left in the page
    assert card.locator("img[onerror], script, a[href^='javascript']").count() == 0
    assert dialogs == []
    assert any("katex" in url for url in scripts) and any("mermaid" in url for url in scripts)
    assert axe_violations(page) == []
    screenshot(page, "card-math-diagram")


def test_a_plain_card_loads_none_of_the_heavy_parts(page, ui_hub: UiHub) -> None:
    with ui_hub.api() as api:
        assert api.post("/api/repos/create", json={"name": "ui-plain"}).status_code == 200
        committed = api.post("/api/models/alice/ui-plain/commit/main", headers=NDJSON,
                             content=ndjson([file_op("README.md", b"# Plain\n\nIt costs $5 and $6.\n")]))
        assert committed.status_code == 200, committed.text
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto("/alice/ui-plain")
    page.locator("[data-test=card][data-enhanced=true]").wait_for()
    assert not [url for url in scripts if any(part in url for part in ("katex", "mermaid", "highlight"))]
