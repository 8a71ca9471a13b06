"""Gated repos over raw HTTP: the setting, the Hub's GatedRepo answers on every content route, access
requests (ask, list, accept, reject, cancel, grant) and their refusals, each of which changes nothing."""

from __future__ import annotations

import base64

import pytest

from tests.api.helpers import (
    LFS_HEADERS,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    lfs_batch,
    lfs_op,
    lfs_upload,
    sha256,
)
from tests.conftest import HubClient

CARD = b"""---
license: mit
extra_gated_prompt: "Use it kindly."
extra_gated_fields:
  Company: text
  Country: country
  Birth date: date_picker
  Purpose:
    type: select
    options: [Research, {label: Other use, value: other}]
  I agree to the terms: checkbox
  Where: ip_location
---
# gated
"""
ANSWERS = {"Company": "ACME", "Country": "France", "Birth date": "1990-01-31", "Purpose": "Research",
           "I agree to the terms": True}
WEIGHTS = b"W" * 4096  # above the test hubs' 1 KiB threshold: an LFS object
REPO = "alice/g"


def _gated_repo(hc: HubClient, mode: str = "manual", *, name: str = "g", private: bool = False) -> str:
    repo = f"alice/{name}"
    create_repo(hc.client, hc.token, name, private=private)
    assert hc.client.post(f"/api/models/{repo}/branch/base", headers=hc.auth()).status_code == 200
    lfs_upload(hc.client, hc.token, repo, WEIGHTS)
    commit(hc.client, hc.token, repo, [file_op("README.md", CARD), file_op("config.json", b"{}\n"),
                                       lfs_op("w.bin", WEIGHTS)])
    resp = hc.client.put(f"/api/models/{repo}/settings", json={"gated": mode}, headers=hc.auth())
    assert resp.status_code == 200, resp.text
    return repo


def _requests(hc: HubClient, repo: str = REPO) -> dict[str, list[str]]:
    """Who is in each list, as the owner sees them."""
    lists = {}
    for status in ("pending", "accepted", "rejected"):
        resp = hc.client.get(f"/api/models/{repo}/user-access-request/{status}", headers=hc.auth())
        assert resp.status_code == 200, resp.text
        lists[status] = [item["user"]["user"] for item in resp.json()]
    return lists


def _content_calls(hc: HubClient, repo: str, headers: dict[str, str]) -> dict[str, object]:
    """Every route that hands out a repo's content (or says whether one may download it)."""
    client = hc.client
    batch = {"operation": "download", "transfers": ["basic"], "objects": [{"oid": sha256(WEIGHTS), "size": 4096}]}
    return {
        "resolve_head": client.head(f"/{repo}/resolve/main/config.json", headers=headers),
        "resolve_get": client.get(f"/{repo}/resolve/main/config.json", headers=headers),
        "resolve_lfs": client.get(f"/{repo}/resolve/main/w.bin", headers=headers),
        "resolve_api_form": client.get(f"/api/models/{repo}/resolve/main/config.json", headers=headers),
        "auth_check": client.get(f"/api/models/{repo}/auth-check", headers=headers),
        "xet_read_token": client.get(f"/api/models/{repo}/xet-read-token/main", headers=headers),
        "lfs_batch": client.post(f"/{repo}.git/info/lfs/objects/batch", json=batch,
                                 headers={**LFS_HEADERS, **headers}),
        "git_info_refs": client.get(f"/{repo}.git/info/refs?service=git-upload-pack", headers=headers),
        "git_upload_pack": client.post(f"/{repo}.git/git-upload-pack", content=b"0000",
                                       headers={"Content-Type": "application/x-git-upload-pack-request", **headers}),
        "commit_diff": client.get(f"/api/models/{repo}/commit/main", headers=headers),
        "compare": client.get(f"/api/models/{repo}/compare/base...main", headers=headers),
    }


def test_gated_setting_round_trips_and_bad_values_change_nothing(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "g")
    info = lambda: client.get(f"/api/models/{REPO}", headers=hub_client.auth()).json()  # noqa: E731
    assert info()["gated"] is False
    for value in ("auto", "manual", False):
        for private in (True, False):
            body = {"gated": value, "visibility": "private" if private else "public"}
            assert client.put(f"/api/models/{REPO}/settings", json=body, headers=hub_client.auth()).status_code == 200
            assert (info()["gated"], info()["private"]) == (value, private)
    client.put(f"/api/models/{REPO}/settings", json={"gated": "manual"}, headers=hub_client.auth())
    for bad in ({"gated": "yes"}, {"gated": True}, {"gated": 1}, {"gated": "Auto"}, {"gated": "manual", "foo": 1},
                {}, {"discussionsDisabled": True}):
        resp = client.put(f"/api/models/{REPO}/settings", json=bad, headers=hub_client.auth())
        assert_error(resp, 400)
        assert info()["gated"] == "manual", bad
    # Only the repo's admins set it; the others' attempts change nothing.
    bob = hub_client.new_user("bob")
    assert_error(client.put(f"/api/models/{REPO}/settings", json={"gated": False}, headers=bearer(bob)), 403)
    assert_error(client.put(f"/api/models/{REPO}/settings", json={"gated": False}), 401)
    assert info()["gated"] == "manual"
    # Lists say it and filter on it.
    create_repo(client, hub_client.token, "open")
    listed = {r["id"]: r["gated"] for r in client.get("/api/models").json()}
    assert listed == {REPO: "manual", "alice/open": False}
    assert [r["id"] for r in client.get("/api/models?gated=true").json()] == [REPO]
    assert [r["id"] for r in client.get("/api/models?gated=false").json()] == ["alice/open"]
    assert_error(client.get("/api/models?gated=maybe"), 400)


def test_readers_without_access_get_the_hubs_gated_answer_on_every_content_route(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    bob = hub_client.new_user("bob")
    for caller, headers, status, text in (
            ("anonymous", {}, 401, "Access to model alice/g is restricted. You must have access to it and be "
                                   "authenticated to access it. Please log in."),
            ("bob", bearer(bob), 403, "Access to model alice/g is restricted and you are not in the authorized "
                                      "list. Visit http://127.0.0.1:28080/alice/g to ask for access.")):
        for route, resp in _content_calls(hub_client, repo, headers).items():
            assert resp.status_code == status, (caller, route, resp.status_code, resp.text[:200])
            assert resp.headers.get("x-error-code") == "GatedRepo", (caller, route, resp.headers)
            assert resp.headers["x-error-message"] == text, (caller, route)
            if status == 401 and route.startswith(("git", "lfs")):
                assert resp.headers["www-authenticate"].startswith("Basic"), route  # git asks for credentials
    # The metadata stays public, as on the Hub: info (with the card), tree, paths-info, refs, commits.
    client = hub_client.client
    for path in (f"/api/models/{repo}", f"/api/models/{repo}/tree/main", f"/api/models/{repo}/refs",
                 f"/api/models/{repo}/commits/main", f"/api/models/{repo}/ask-access"):
        assert client.get(path, headers=bearer(bob)).status_code == 200, path
    info = client.get(f"/api/models/{repo}").json()
    assert info["gated"] == "manual" and "extra_gated_fields" in info["cardData"]
    assert client.post(f"/api/models/{repo}/paths-info/main", data={"paths": ["w.bin"]}).status_code == 200
    # The owner is never gated.
    for route, resp in _content_calls(hub_client, repo, hub_client.auth()).items():
        assert resp.status_code == 200, (route, resp.status_code, resp.text[:200])


def test_a_private_gated_repo_stays_missing_to_those_who_may_not_read_it(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client, name="pg", private=True)
    bob = hub_client.new_user("bob")
    for headers, status in (({}, 401), (bearer(bob), 404)):
        for route, resp in _content_calls(hub_client, repo, headers).items():
            assert resp.status_code == status and resp.headers.get("x-error-code") == "RepoNotFound", route
        assert_error(hub_client.client.get(f"/api/models/{repo}/ask-access", headers=headers), status, "RepoNotFound")
    resp = hub_client.client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob))
    assert_error(resp, 404, "RepoNotFound")
    # A read collaborator sees it and is gated like any reader.
    hub_client.client.put(f"/api/models/{repo}/collaborators/bob", json={"role": "read"}, headers=hub_client.auth())
    resp = hub_client.client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    assert (resp.status_code, resp.headers["x-error-code"]) == (403, "GatedRepo")


def test_manual_requests_wait_for_review_then_accept_reject_cancel(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    client = hub_client.client
    bob = hub_client.new_user("bob")
    view = client.get(f"/api/models/{repo}/ask-access", headers=bearer(bob)).json()
    assert view["gated"] == "manual" and view["prompt"] == "Use it kindly." and view["hasAccess"] is False
    assert view["request"] is None
    assert [(f["name"], f["type"]) for f in view["fields"]] == [
        ("Company", "text"), ("Country", "country"), ("Birth date", "date_picker"), ("Purpose", "select"),
        ("I agree to the terms", "checkbox")]
    assert view["fields"][3]["options"] == ["Research", "other", "Other use"]

    resp = client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob))
    assert resp.status_code == 200 and resp.json() == {"status": "pending"}, resp.text
    again = client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob))
    assert again.json() == {"status": "pending"}  # no second request
    gated = client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    assert gated.status_code == 403 and "awaiting a review" in gated.headers["x-error-message"]

    pending = client.get(f"/api/models/{repo}/user-access-request/pending", headers=hub_client.auth()).json()
    assert len(pending) == 1
    item = pending[0]
    assert item["user"]["user"] == "bob" and item["user"]["email"] == "bob@example.com"
    assert item["status"] == "pending" and item["timestamp"].endswith("Z") and item["requestId"].isdigit()
    assert item["fields"] == ANSWERS

    handle = f"/api/models/{repo}/user-access-request/handle"
    assert client.post(handle, json={"user": "bob", "status": "accepted"}, headers=hub_client.auth()).status_code == 200
    assert _requests(hub_client) == {"pending": [], "accepted": ["bob"], "rejected": []}
    for route, resp in _content_calls(hub_client, repo, bearer(bob)).items():
        assert resp.status_code == 200, (route, resp.status_code, resp.text[:200])
    assert client.get(f"/api/models/{repo}/ask-access", headers=bearer(bob)).json()["hasAccess"] is True

    resp = client.post(handle, json={"requestId": item["requestId"], "status": "rejected",
                                     "rejectionReason": "Not for commercial use"}, headers=hub_client.auth())
    assert resp.status_code == 200, resp.text
    rejected = client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    assert rejected.status_code == 403 and "Reason: Not for commercial use" in rejected.headers["x-error-message"]
    listed = client.get(f"/api/models/{repo}/user-access-request/rejected", headers=hub_client.auth()).json()
    assert listed[0]["rejectionReason"] == "Not for commercial use"
    # A rejected user cannot simply ask again: nothing changes.
    assert_error(client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob)), 403)
    assert _requests(hub_client) == {"pending": [], "accepted": [], "rejected": ["bob"]}

    assert client.post(handle, json={"user": "bob", "status": "pending"}, headers=hub_client.auth()).status_code == 200
    assert _requests(hub_client) == {"pending": ["bob"], "accepted": [], "rejected": []}


def test_bad_answers_are_refused_and_record_nothing(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    client = hub_client.client
    bob = hub_client.new_user("bob")
    bad_answers = [
        ({k: v for k, v in ANSWERS.items() if k != "Company"}, "'Company' needs an answer"),
        ({**ANSWERS, "I agree to the terms": False}, "must be checked"),
        ({**ANSWERS, "Birth date": "31/01/1990"}, "YYYY-MM-DD"),
        ({**ANSWERS, "Purpose": "Fun"}, "must be one of"),
        ({**ANSWERS, "Salary": "1"}, "Unknown field(s) 'Salary'"),
        ({**ANSWERS, "Company": "x" * 1001}, "longer than 1000"),
        ({**ANSWERS, "Company": 7}, "needs an answer"),
    ]
    for answers, message in bad_answers:
        assert_error(client.post(f"/api/models/{repo}/ask-access", json=answers, headers=bearer(bob)), 400,
                     message=message)
    assert_error(client.post(f"/api/models/{repo}/ask-access", content=b"[1]", headers={
        **bearer(bob), "Content-Type": "application/json"}), 400)
    assert_error(client.post(f"/api/models/{repo}/ask-access", content=b"{nope", headers={
        **bearer(bob), "Content-Type": "application/json"}), 400)
    assert _requests(hub_client) == {"pending": [], "accepted": [], "rejected": []}
    # The form encoding of the Hub's page works too (a ticked checkbox is "on").
    form = {**ANSWERS, "I agree to the terms": "on"}
    resp = client.post(f"/api/models/{repo}/ask-access", data=form, headers=bearer(bob))
    assert resp.status_code == 200 and resp.json()["status"] == "pending", resp.text


def test_who_may_ask_and_who_need_not(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    client = hub_client.client
    bob_read = hub_client.new_user("bob", role="read")
    assert_error(client.post(f"/api/models/{repo}/ask-access", json=ANSWERS), 401)
    assert_error(client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob_read)), 403,
                 message="read token")
    # The owner has access already: nothing is recorded.
    assert client.post(f"/api/models/{repo}/ask-access", json={}, headers=hub_client.auth()).json() == {
        "status": "accepted"}
    assert _requests(hub_client) == {"pending": [], "accepted": [], "rejected": []}
    # A repo that is not gated has no requests.
    create_repo(client, hub_client.token, "open")
    carol = hub_client.new_user("carol")
    assert_error(client.post("/api/models/alice/open/ask-access", json={}, headers=bearer(carol)), 400,
                 message="not gated")
    for path in ("user-access-request/pending", "user-access-request/accepted"):
        assert_error(client.get(f"/api/models/alice/open/{path}", headers=hub_client.auth()), 400, message="not gated")
    assert_error(client.post("/api/models/alice/open/user-access-request/grant", json={"user": "carol"},
                             headers=hub_client.auth()), 400, message="not gated")


def test_auto_mode_accepts_at_once_and_switching_to_auto_accepts_the_pending(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    client = hub_client.client
    bob, carol = hub_client.new_user("bob"), hub_client.new_user("carol")
    assert client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob)).json()["status"] == "pending"
    client.put(f"/api/models/{repo}/settings", json={"gated": "auto"}, headers=hub_client.auth())
    assert _requests(hub_client)["accepted"] == ["bob"]
    assert client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(carol)).json() == {
        "status": "accepted"}
    assert client.get(f"/{repo}/resolve/main/w.bin", headers=bearer(carol)).content == WEIGHTS
    # A read token of an accepted user downloads too.
    carol_read = hub_client.hub.accounts.create_token(
        hub_client.hub.accounts.get_user("carol").id, "r", "read")[1]
    assert client.head(f"/{repo}/resolve/main/config.json", headers=bearer(carol_read)).status_code == 200
    # Turning the gate off opens the repo; the requests are kept for when it closes again.
    client.put(f"/api/models/{repo}/settings", json={"gated": False}, headers=hub_client.auth())
    dave = hub_client.new_user("dave")
    assert client.head(f"/{repo}/resolve/main/config.json", headers=bearer(dave)).status_code == 200
    assert client.head(f"/{repo}/resolve/main/config.json").status_code == 200
    client.put(f"/api/models/{repo}/settings", json={"gated": "manual"}, headers=hub_client.auth())
    assert _requests(hub_client)["accepted"] == ["bob", "carol"]


def test_grant_and_handle_refusals_change_nothing(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client)
    client = hub_client.client
    bob = hub_client.new_user("bob")
    hub_client.new_user("carol")
    hub_client.client.post("/org/create", json={"name": "lab"}, headers=hub_client.auth())
    grant, handle = (f"/api/models/{repo}/user-access-request/{action}" for action in ("grant", "handle"))
    resp = client.post(grant, json={"user": "carol"}, headers=hub_client.auth())
    assert resp.status_code == 200 and resp.json()["user"] == "carol", resp.text
    accepted = client.get(f"/api/models/{repo}/user-access-request/accepted", headers=hub_client.auth()).json()
    assert [item["user"]["user"] for item in accepted] == ["carol"] and "email" not in accepted[0]["user"]
    assert accepted[0]["fields"] is None
    before = _requests(hub_client)
    refusals = [
        (grant, {"user": "carol"}, hub_client.auth(), 400, "already has access"),
        (grant, {"user": "nobody"}, hub_client.auth(), 404, None),
        (grant, {"user": "lab"}, hub_client.auth(), 404, None),  # an organization is not a user
        (grant, {}, hub_client.auth(), 400, None),
        (grant, {"user": "bob", "extra": 1}, hub_client.auth(), 400, None),
        (grant, {"user": "bob"}, bearer(bob), 403, None),
        (grant, {"user": "bob"}, {}, 401, None),
        (handle, {"user": "carol", "status": "accepted"}, hub_client.auth(), 404, "already accepted"),
        (handle, {"user": "bob", "status": "accepted"}, hub_client.auth(), 404, "has not requested"),
        (handle, {"user": "carol", "requestId": "1", "status": "rejected"}, hub_client.auth(), 400, "exactly one"),
        (handle, {"status": "rejected"}, hub_client.auth(), 400, "exactly one"),
        (handle, {"requestId": "999", "status": "rejected"}, hub_client.auth(), 404, None),
        (handle, {"requestId": "x1", "status": "rejected"}, hub_client.auth(), 404, None),
        (handle, {"user": "carol", "status": "gone"}, hub_client.auth(), 400, "Invalid status"),
        (handle, {"user": "carol", "status": "pending", "rejectionReason": "x"}, hub_client.auth(), 400, None),
        (handle, {"user": "carol", "status": "rejected", "rejectionReason": "x" * 201}, hub_client.auth(), 400,
         "at most 200"),
        (handle, {"user": "carol", "status": "rejected", "rejectionReason": "a\nb"}, hub_client.auth(), 400, None),
        (handle, {"user": "carol", "status": "rejected"}, bearer(bob), 403, None),
        (handle, {"user": "carol", "status": "rejected"}, {}, 401, None),
    ]
    for path, body, headers, status, message in refusals:
        assert_error(client.post(path, json=body, headers=headers), status, message=message)
        assert _requests(hub_client) == before, (path, body)
    assert_error(client.get(f"/api/models/{repo}/user-access-request/granted", headers=hub_client.auth()), 404)
    assert_error(client.get(f"/api/models/{repo}/user-access-request/pending", headers=bearer(bob)), 403)
    alice_read = hub_client.hub.accounts.create_token(hub_client.hub.accounts.get_user("alice").id, "r", "read")[1]
    assert_error(client.post(grant, json={"user": "bob"}, headers=bearer(alice_read)), 403)
    assert _requests(hub_client) == before


@pytest.mark.parametrize("role", ["write", "read"])
def test_writers_are_never_gated_readers_are(hub_client: HubClient, role: str) -> None:
    repo = _gated_repo(hub_client)
    bob = hub_client.new_user("bob")
    hub_client.client.put(f"/api/models/{repo}/collaborators/bob", json={"role": role}, headers=hub_client.auth())
    resp = hub_client.client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    assert resp.status_code == (200 if role == "write" else 403), resp.headers
    if role == "write":  # and they may review the requests
        assert hub_client.client.get(f"/api/models/{repo}/user-access-request/pending",
                                     headers=bearer(bob)).status_code == 200


def test_pagination_of_requests(hub_client: HubClient) -> None:
    repo = _gated_repo(hub_client, "auto")
    for name in ("bob", "carol", "dave"):
        token = hub_client.new_user(name)
        hub_client.client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(token))
    first = hub_client.client.get(f"/api/models/{repo}/user-access-request/accepted?limit=2", headers=hub_client.auth())
    assert [i["user"]["user"] for i in first.json()] == ["bob", "carol"]
    link = first.headers["link"]
    assert link.startswith("<http://testserver/") and 'rel="next"' in link
    second = hub_client.client.get(link[1:link.index(">")], headers=hub_client.auth())
    assert [i["user"]["user"] for i in second.json()] == ["dave"] and "link" not in second.headers


def test_git_lfs_sees_the_gate_too(hub_client: HubClient) -> None:
    """git-lfs gets the Hub's answer as LFS JSON; a batch download works once accepted."""
    repo = _gated_repo(hub_client, "auto")
    bob = hub_client.new_user("bob")
    resp = lfs_batch(hub_client.client, bob, repo, [(sha256(WEIGHTS), len(WEIGHTS))], operation="download")
    assert resp.status_code == 403 and resp.headers["content-type"].startswith("application/vnd.git-lfs+json")
    assert "restricted" in resp.json()["message"]
    hub_client.client.post(f"/api/models/{repo}/ask-access", json=ANSWERS, headers=bearer(bob))
    resp = lfs_batch(hub_client.client, bob, repo, [(sha256(WEIGHTS), len(WEIGHTS))], operation="download")
    assert resp.status_code == 200 and "download" in resp.json()["objects"][0]["actions"], resp.text
    basic = base64.b64encode(f"git:{bob}".encode()).decode()
    refs = hub_client.client.get(f"/{repo}.git/info/refs?service=git-upload-pack",
                                 headers={"Authorization": f"Basic {basic}"})
    assert refs.status_code == 200
