"""Discussions over raw HTTP: shapes the client parses, filters and paging, comments and their history,
titles, statuses, the permission rules, and that every refusal changes nothing."""

from __future__ import annotations

import re

import pytest

from kohakuhub.db.database import database_proxy
from tests.api.helpers import api, assert_error, bearer, create_repo

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEX24 = re.compile(r"^[0-9a-f]{24}$")


@pytest.fixture
def hub(hub_client):
    """alice owns alice/m; bob may read it; carol writes to it (collaborator); dave has a read token."""
    hc = hub_client
    hc.bob = hc.new_user("bob")
    hc.carol = hc.new_user("carol")
    hc.dave_read = hc.new_user("dave", role="read")
    create_repo(hc.client, hc.token, "m")
    resp = hc.client.put(f"{api('alice/m')}/collaborators/carol", json={"role": "write"}, headers=hc.auth())
    assert resp.status_code == 200, resp.text
    return hc


def _d(path: str = "", repo: str = "alice/m", repo_type: str = "model") -> str:
    return f"{api(repo, repo_type)}/discussions{path}"


def _open(hub, token, title="A question", description: str | None = "Why?", pull_request=False,
          repo="alice/m", repo_type="model") -> dict:
    resp = hub.client.post(_d(repo=repo, repo_type=repo_type), headers=bearer(token),
                           json={"title": title, "description": description, "pullRequest": pull_request})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _details(hub, num: int, repo="alice/m", token=None) -> dict:
    resp = hub.client.get(_d(f"/{num}", repo), headers=bearer(token or hub.token))
    assert resp.status_code == 200, resp.text
    return resp.json()


def _listing(hub, query: str = "", token=None) -> dict:
    resp = hub.client.get(_d() + query, headers=bearer(token or hub.token))
    assert resp.status_code == 200, resp.text
    return resp.json()


class Unchanged:
    """Asserts a refused call left the repo's discussions (list and every detail) as they were."""

    def __init__(self, hub, repo: str = "alice/m") -> None:
        self.hub, self.repo = hub, repo

    def _state(self):
        listing = self.hub.client.get(_d(repo=self.repo) + "?status=all", headers=self.hub.auth()).json()
        return listing, [_details(self.hub, d["num"], self.repo) for d in listing["discussions"]]

    def __enter__(self):
        self.before = self._state()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert self._state() == self.before, "a refused call changed the discussions"
        return False


def test_create_and_details_have_the_client_shapes(hub):
    opened = _open(hub, hub.bob, title="  Is this model cased?  ", description="I **wonder**.")
    assert opened == {"num": 1, "isPullRequest": False, "status": "open", "gitReference": None,
                      "url": "http://testserver/alice/m/discussions/1"}
    details = _details(hub, 1)
    assert details["title"] == "Is this model cased?"  # stripped, as on the Hub
    assert details["status"] == "open" and details["isPullRequest"] is False and details["num"] == 1
    assert details["author"] == {"name": "bob", "fullname": "bob", "type": "user"}
    assert details["repo"] == {"name": "alice/m", "type": "model"}
    assert ISO_Z.match(details["createdAt"]) and details["numComments"] == 1
    assert "changes" not in details and "filesWithConflicts" not in details
    (first,) = details["events"]
    assert HEX24.match(first["id"]) and first["type"] == "comment" and ISO_Z.match(first["createdAt"])
    assert first["author"]["name"] == "bob"
    assert first["data"] == {
        "edited": False, "hidden": False, "history": [], "numEdits": 0, "editors": [],
        "latest": {"raw": "I **wonder**.", "html": "<p>I <strong>wonder</strong>.</p>\n",
                   "updatedAt": first["createdAt"], "author": details["author"]},
    }


def test_discussion_without_description_has_no_events_and_html_is_escaped(hub):
    _open(hub, hub.bob, description=None)
    _open(hub, hub.bob, description="   ")
    assert _details(hub, 1)["events"] == [] and _details(hub, 2)["events"] == []
    comment = hub.client.post(_d("/1/comment"), json={"comment": "<script>x()</script> [a](javascript:x())"},
                              headers=bearer(hub.bob)).json()["newMessage"]
    html = comment["data"]["latest"]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html


def test_every_repo_type_has_its_own_numbers(hub):
    for repo_type in ("dataset", "space"):
        create_repo(hub.client, hub.token, "r", repo_type)
        opened = _open(hub, hub.bob, repo="alice/r", repo_type=repo_type)
        prefix = f"{repo_type}s/"
        assert opened["num"] == 1 and opened["url"] == f"http://testserver/{prefix}alice/r/discussions/1"
        resp = hub.client.get(_d("/1", "alice/r", repo_type), headers=hub.auth())
        assert resp.json()["repo"] == {"name": "alice/r", "type": repo_type}
    assert _listing(hub)["count"] == 0  # the model alice/m has none


def test_list_filters_and_paging(hub):
    _open(hub, hub.bob, title="bob asks")  # 1
    _open(hub, hub.token, title="alice proposes", pull_request=True)  # 2 (a draft pull request)
    _open(hub, hub.carol, title="carol asks")  # 3
    hub.client.post(_d("/3/status"), json={"status": "closed"}, headers=bearer(hub.carol))
    assert [d["num"] for d in _listing(hub)["discussions"]] == [3, 2, 1]  # newest first
    assert [d["num"] for d in _listing(hub, "?type=pull_request")["discussions"]] == [2]
    assert [d["num"] for d in _listing(hub, "?type=discussion")["discussions"]] == [3, 1]
    assert [d["num"] for d in _listing(hub, "?status=open")["discussions"]] == [2, 1]  # drafts are open
    assert [d["num"] for d in _listing(hub, "?status=closed")["discussions"]] == [3]
    assert [d["num"] for d in _listing(hub, "?status=draft")["discussions"]] == [2]
    assert [d["num"] for d in _listing(hub, "?author=BOB")["discussions"]] == [1]
    assert _listing(hub, "?author=nobody") == {"discussions": [], "count": 0, "start": 0}
    assert [d["num"] for d in _listing(hub, "?search=ASKS&status=open")["discussions"]] == [1]
    item = _listing(hub, "?type=pull_request")["discussions"][0]
    assert item["status"] == "draft" and item["gitReference"] == "refs/pr/2" and item["targetBranch"] == "main"
    for query, problem in (("?type=issues", "type"), ("?status=pending", "status"), ("?p=-1", "p"), ("?p=x", "p"),
                           ("?author=a%00b", "author"), ("?search=" + "x" * 201, "search")):
        assert_error(hub.client.get(_d() + query, headers=hub.auth()), 400, message=problem)


def test_pages_of_fifty(hub):
    for i in range(52):
        _open(hub, hub.bob, title=f"question {i:02d}", description=None)
    first, second = _listing(hub), _listing(hub, "?p=1")
    assert (first["count"], first["start"], len(first["discussions"])) == (52, 0, 50)
    assert (second["count"], second["start"], [d["num"] for d in second["discussions"]]) == (52, 50, [2, 1])
    assert _listing(hub, "?p=2")["discussions"] == []


def test_comment_edit_and_history(hub):
    _open(hub, hub.bob, description="first version")
    comment_id = _details(hub, 1)["events"][0]["id"]
    resp = hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "second *version*"},
                           headers=bearer(hub.bob))
    assert resp.status_code == 200, resp.text
    edited = resp.json()["updatedComment"]
    assert edited["id"] == comment_id and edited["data"]["edited"] is True
    assert edited["data"]["latest"]["raw"] == "second *version*"
    assert edited["data"]["latest"]["html"] == "<p>second <em>version</em></p>\n"
    assert [v["raw"] for v in edited["data"]["history"]] == ["first version"]
    assert edited["data"]["numEdits"] == 1 and edited["data"]["editors"] == ["bob"]
    hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "third"}, headers=bearer(hub.bob))
    latest = _details(hub, 1)["events"][0]
    assert [v["raw"] for v in latest["data"]["history"]] == ["second *version*", "first version"]
    assert latest["data"]["numEdits"] == 2 and latest["createdAt"] == edited["createdAt"]
    # A new comment is appended; the discussion's comment count follows.
    added = hub.client.post(_d("/1/comment"), json={"comment": "me too"}, headers=bearer(hub.carol)).json()
    assert added["newMessage"]["author"]["name"] == "carol"
    assert [e["id"] for e in _details(hub, 1)["events"]] == [comment_id, added["newMessage"]["id"]]
    assert _listing(hub)["discussions"][0]["numComments"] == 2


def test_only_the_author_edits_a_comment(hub):
    _open(hub, hub.bob, description="mine")
    comment_id = _details(hub, 1)["events"][0]["id"]
    for token in (hub.token, hub.carol):  # the owner and a writer may hide it, not rewrite it
        with Unchanged(hub):
            resp = hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "not yours"},
                                   headers=bearer(token))
            assert_error(resp, 403, message="author")


def test_hide_by_author_or_writer_erases_the_text(hub):
    _open(hub, hub.bob, description="secret")
    comment_id = _details(hub, 1)["events"][0]["id"]
    hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "secret v2"}, headers=bearer(hub.bob))
    outsider = hub.new_user("eve")
    with Unchanged(hub):
        assert_error(hub.client.post(_d(f"/1/comment/{comment_id}/hide"), headers=bearer(outsider)), 403)
    resp = hub.client.post(_d(f"/1/comment/{comment_id}/hide"), headers=bearer(hub.carol))
    assert resp.status_code == 200, resp.text
    hidden = resp.json()["updatedComment"]["data"]
    assert hidden["hidden"] is True and hidden["hiddenBy"]["name"] == "carol"
    assert hidden["latest"]["raw"] == "" and hidden["latest"]["html"] == "" and hidden["history"] == []
    assert "secret" not in str(_details(hub, 1))
    with Unchanged(hub):
        assert_error(hub.client.post(_d(f"/1/comment/{comment_id}/hide"), headers=bearer(hub.bob)), 400)
        resp = hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "back"}, headers=bearer(hub.bob))
        assert_error(resp, 400, message="hidden")
    # Its author may hide their own comment too.
    other = hub.client.post(_d("/1/comment"), json={"comment": "oops"}, headers=bearer(outsider)).json()
    resp = hub.client.post(_d(f"/1/comment/{other['newMessage']['id']}/hide"), headers=bearer(outsider))
    assert resp.status_code == 200 and resp.json()["updatedComment"]["data"]["hidden"] is True


def test_unknown_comments_and_discussions(hub):
    _open(hub, hub.bob)
    title_event = hub.client.post(_d("/1/title"), json={"title": "Renamed"}, headers=bearer(hub.bob)).json()
    with Unchanged(hub):
        for comment_id in ("0" * 24, "XYZ", title_event["newTitle"]["id"]):  # a title change is no comment
            resp = hub.client.post(_d(f"/1/comment/{comment_id}/edit"), json={"content": "x"}, headers=bearer(hub.bob))
            assert_error(resp, 404, message="Comment")
        assert_error(hub.client.get(_d("/9"), headers=hub.auth()), 404, message="#9")
        assert_error(hub.client.post(_d("/9/comment"), json={"comment": "x"}, headers=bearer(hub.bob)), 404)
        for bad in ("0", "-1", "abc", "1.5", "99999999999"):
            assert_error(hub.client.get(_d(f"/{bad}"), headers=hub.auth()), 400, message="positive integer")


def test_rename_and_title_rules(hub):
    _open(hub, hub.bob, title="Old title")
    resp = hub.client.post(_d("/1/title"), json={"title": "  New title  "}, headers=bearer(hub.bob))
    assert resp.status_code == 200, resp.text
    change = resp.json()["newTitle"]
    assert change["type"] == "title-change" and change["data"] == {"from": "Old title", "to": "New title"}
    assert _details(hub, 1)["title"] == "New title"
    assert hub.client.post(_d("/1/title"), json={"title": "By a writer"}, headers=bearer(hub.carol)).status_code == 200
    with Unchanged(hub):
        assert_error(hub.client.post(_d("/1/title"), json={"title": "Not mine"}, headers=bearer(hub.new_user("eve"))),
                     403)
        for title in ("ab", "x" * 201, "   ", "By a writer"):
            assert_error(hub.client.post(_d("/1/title"), json={"title": title}, headers=bearer(hub.bob)), 400)
        assert_error(hub.client.post(_d(), json={"title": "no"}, headers=bearer(hub.bob)), 400, message="3 to 200")
        assert_error(hub.client.post(_d(), json={"description": "no title"}, headers=bearer(hub.bob)), 400)
        assert_error(hub.client.post(_d("/1/comment"), json={"comment": "  "}, headers=bearer(hub.bob)), 400)
        assert_error(hub.client.post(_d("/1/comment"), json={"comment": "x" * 65_537}, headers=bearer(hub.bob)), 400)


def test_close_and_reopen(hub):
    _open(hub, hub.bob)
    resp = hub.client.post(_d("/1/status"), json={"status": "closed", "comment": "answered"}, headers=bearer(hub.bob))
    assert resp.status_code == 200, resp.text
    assert resp.json()["newStatus"]["data"] == {"status": "closed"}
    details = _details(hub, 1)
    assert details["status"] == "closed"
    assert [e["type"] for e in details["events"]] == ["comment", "comment", "status-change"]
    assert details["events"][1]["data"]["latest"]["raw"] == "answered"
    # Closed discussions still take comments; the owner reopens it.
    assert hub.client.post(_d("/1/comment"), json={"comment": "late"}, headers=bearer(hub.carol)).status_code == 200
    resp = hub.client.post(_d("/1/status"), json={"status": "open"}, headers=hub.auth())
    assert resp.status_code == 200 and _details(hub, 1)["status"] == "open"
    with Unchanged(hub):
        assert_error(hub.client.post(_d("/1/status"), json={"status": "open"}, headers=bearer(hub.bob)), 400,
                     message="already open")
        for status in ("merged", "draft", "published"):
            assert_error(hub.client.post(_d("/1/status"), json={"status": status}, headers=bearer(hub.bob)), 400)
        assert_error(hub.client.post(_d("/1/status"), json={"status": "closed"}, headers=bearer(hub.new_user("eve"))),
                     403)


def test_who_may_take_part(hub):
    _open(hub, hub.bob)
    with Unchanged(hub):
        # Anonymous callers read public discussions but take no part.
        assert hub.client.get(_d()).status_code == 200 and hub.client.get(_d("/1")).status_code == 200
        assert_error(hub.client.post(_d(), json={"title": "anonymous"}), 401)
        assert_error(hub.client.post(_d("/1/comment"), json={"comment": "x"}), 401)
        # A read token reads but takes no part.
        assert hub.client.get(_d("/1"), headers=bearer(hub.dave_read)).status_code == 200
        assert_error(hub.client.post(_d(), json={"title": "read token"}, headers=bearer(hub.dave_read)), 403,
                     message="read-only")
        assert_error(hub.client.post(_d("/1/comment"), json={"comment": "x"}, headers=bearer(hub.dave_read)), 403)
        assert_error(hub.client.get(_d(), headers=bearer("khub_" + "x" * 43)), 401)


def test_private_repo_discussions_are_hidden_like_the_repo(hub):
    create_repo(hub.client, hub.token, "secret", private=True)
    _open(hub, hub.token, repo="alice/secret")
    for path in ("", "/1"):
        assert_error(hub.client.get(_d(path, "alice/secret"), headers=bearer(hub.bob)), 404, "RepoNotFound")
        assert_error(hub.client.get(_d(path, "alice/secret")), 401, "RepoNotFound")
    with Unchanged(hub, "alice/secret"):
        resp = hub.client.post(_d("/1/comment", "alice/secret"), json={"comment": "x"}, headers=bearer(hub.bob))
        assert_error(resp, 404, "RepoNotFound")
        resp = hub.client.post(_d(repo="alice/secret"), json={"title": "let me in"}, headers=bearer(hub.bob))
        assert_error(resp, 404, "RepoNotFound")
    assert_error(hub.client.get(_d(repo="alice/missing"), headers=hub.auth()), 404, "RepoNotFound")


def test_deleted_author_shows_as_deleted_and_repo_deletion_removes_discussions(hub):
    eve = hub.new_user("eve")
    _open(hub, eve, title="from eve", description="hello")
    admin = hub.hub.accounts.create_user("root", "root@example.com", "correct-horse-battery", is_admin=True)
    root = hub.hub.accounts.create_token(admin.id, "t")[1]
    assert hub.client.delete("/admin/api/users/eve", headers=bearer(root)).status_code == 200
    details = _details(hub, 1)
    assert "author" not in details and "author" not in details["events"][0]  # the client says "deleted"
    assert details["events"][0]["data"]["latest"]["raw"] == "hello"
    resp = hub.client.request("DELETE", "/api/repos/delete", json={"name": "m"}, headers=hub.auth())
    assert resp.status_code == 200, resp.text
    create_repo(hub.client, hub.token, "m")
    assert _listing(hub)["count"] == 0
    database_proxy.initialize(hub.hub.db)
