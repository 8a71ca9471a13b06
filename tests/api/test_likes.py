"""Likes over raw HTTP: like and unlike, likers, a user's liked repos, counts in info and lists, the sort
keys and the trending window; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

from kohakuhub.db.models import RepoLike, utcnow
from tests.api.helpers import assert_error, bearer, create_repo
from tests.conftest import HubClient


def _likes(hc: HubClient, repo: str, repo_type: str = "models") -> int:
    resp = hc.client.get(f"/api/{repo_type}/{repo}", headers=hc.auth())
    assert resp.status_code == 200, resp.text
    return resp.json()["likes"]


def test_like_unlike_likers_and_liked_repos(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "m")
    create_repo(client, hub_client.token, "d", "dataset")
    bob, carol = hub_client.new_user("bob"), hub_client.new_user("carol")
    client.put("/api/auth/profile", json={"fullname": "Bob B."}, headers=bearer(bob))
    assert _likes(hub_client, "alice/m") == 0
    for token in (bob, carol, bob):  # liking twice is one like
        resp = client.post("/api/models/alice/m/like", headers=bearer(token))
        assert resp.status_code == 200 and resp.json()["liked"] is True, resp.text
    assert client.post("/api/datasets/alice/d/like", headers=bearer(bob)).status_code == 200
    assert _likes(hub_client, "alice/m") == 2 and _likes(hub_client, "alice/d", "datasets") == 1
    assert client.get("/api/models/alice/m/like", headers=bearer(bob)).json() == {"liked": True, "likes": 2}
    assert client.get("/api/models/alice/m/like").json() == {"liked": False, "likes": 2}

    likers = client.get("/api/models/alice/m/likers").json()
    assert [(u["user"], u["fullname"]) for u in likers] == [("carol", "carol"), ("bob", "Bob B.")]
    assert all(u["type"] == "user" and u["avatarUrl"] == "" and u["_id"] for u in likers)
    page = client.get("/api/models/alice/m/likers?limit=1")
    assert [u["user"] for u in page.json()] == ["carol"] and 'rel="next"' in page.headers["link"]
    rest = client.get(page.headers["link"].split(";")[0].strip("<>"))
    assert [u["user"] for u in rest.json()] == ["bob"] and "link" not in rest.headers

    liked = client.get("/api/users/bob/likes").json()
    assert [(i["repo"]["name"], i["repo"]["type"]) for i in liked] == [("alice/d", "dataset"), ("alice/m", "model")]
    assert all(i["createdAt"].endswith("Z") for i in liked)
    assert client.get("/api/users/BOB/likes").json() == liked  # names in any case, as the Hub

    assert client.delete("/api/models/alice/m/like", headers=bearer(bob)).json() == {"success": True, "liked": False}
    assert client.delete("/api/models/alice/m/like", headers=bearer(bob)).status_code == 200  # no like: no change
    assert _likes(hub_client, "alice/m") == 1
    assert [u["user"] for u in client.get("/api/models/alice/m/likers").json()] == ["carol"]
    overview = client.get("/api/users/bob/overview").json()
    assert overview["numLikes"] == 1


def test_refused_likes_change_nothing(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "m")
    create_repo(client, hub_client.token, "secret", private=True)
    bob_read, bob = hub_client.new_user("bob", role="read"), None
    bob = hub_client.hub.accounts.create_token(hub_client.hub.accounts.get_user("bob").id, "w", "write")[1]
    refusals = [
        ("POST", "/api/models/alice/m/like", {}, 401, None),
        ("POST", "/api/models/alice/m/like", bearer(bob_read), 403, None),
        ("POST", "/api/models/alice/secret/like", bearer(bob), 404, "RepoNotFound"),
        ("POST", "/api/models/alice/secret/like", {}, 401, None),  # anonymous: refused before any lookup
        ("POST", "/api/models/alice/missing/like", bearer(bob), 404, "RepoNotFound"),
        ("POST", "/api/things/alice/m/like", bearer(bob), 404, None),
        ("DELETE", "/api/models/alice/m/like", {}, 401, None),
        ("DELETE", "/api/models/alice/m/like", bearer(bob_read), 403, None),
    ]
    client.post("/api/models/alice/m/like", headers=bearer(bob))
    for method, path, headers, status, code in refusals:
        assert_error(client.request(method, path, headers=headers), status, code)
        assert _likes(hub_client, "alice/m") == 1 and _likes(hub_client, "alice/secret") == 0, (method, path)
    assert_error(client.get("/api/models/alice/secret/likers", headers=bearer(bob)), 404, "RepoNotFound")
    assert_error(client.get("/api/users/nobody/likes"), 404)
    client.post("/org/create", json={"name": "lab"}, headers=hub_client.auth())
    assert_error(client.get("/api/users/lab/likes"), 404)  # organizations do not like
    assert_error(client.get("/api/models/alice/m/likers?limit=0"), 400)
    assert_error(client.get("/api/models/alice/m/likers?cursor=x"), 400)


def test_liked_private_repos_are_listed_only_to_those_who_may_see_them(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "secret", private=True)
    create_repo(client, hub_client.token, "open")
    bob = hub_client.new_user("bob")
    client.put("/api/models/alice/secret/collaborators/bob", json={"role": "read"}, headers=hub_client.auth())
    for repo in ("secret", "open"):
        assert client.post(f"/api/models/alice/{repo}/like", headers=bearer(bob)).status_code == 200
    carol = hub_client.new_user("carol")
    names = lambda headers: [i["repo"]["name"] for i in client.get("/api/users/bob/likes", headers=headers).json()]  # noqa: E731
    assert names(bearer(bob)) == ["alice/open", "alice/secret"]
    assert names(hub_client.auth()) == ["alice/open", "alice/secret"]
    assert names(bearer(carol)) == ["alice/open"] and names({}) == ["alice/open"]
    assert client.get("/api/users/bob/overview", headers=bearer(carol)).json()["numLikes"] == 1
    assert client.get("/api/users/bob/overview", headers=bearer(bob)).json()["numLikes"] == 2


def test_likes_sort_the_lists_and_trending_counts_only_recent_likes(hub_client: HubClient) -> None:
    client = hub_client.client
    for name in ("a", "b", "c"):
        create_repo(client, hub_client.token, name)
    users = [hub_client.new_user(f"u{i}") for i in range(3)]
    for repo, count in (("a", 1), ("b", 3), ("c", 2)):
        for token in users[:count]:
            client.post(f"/api/models/alice/{repo}/like", headers=bearer(token))
    listed = client.get("/api/models?sort=likes").json()
    assert [(r["id"], r["likes"]) for r in listed] == [("alice/b", 3), ("alice/c", 2), ("alice/a", 1)]
    assert [r["id"] for r in client.get("/api/models?sort=likes&direction=1").json()] == [
        "alice/a", "alice/c", "alice/b"]
    trending = client.get("/api/models?sort=trendingScore").json()
    assert [(r["id"], r["trendingScore"]) for r in trending] == [("alice/b", 30), ("alice/c", 20), ("alice/a", 10)]
    # b's likes were given a month ago: they still count as likes, but no more for trending.
    b_id = client.get("/api/models/alice/b").json()["_id"]
    RepoLike.update(created_at=utcnow() - timedelta(days=30)).where(RepoLike.repo == int(b_id)).execute()
    trending = client.get("/api/models?sort=trendingScore").json()
    assert [(r["id"], r["trendingScore"], r["likes"]) for r in trending] == [
        ("alice/c", 20, 2), ("alice/a", 10, 1), ("alice/b", 0, 3)]
    assert client.get("/api/models/alice/b").json()["trendingScore"] == 0
    assert_error(client.get("/api/models?sort=popularity"), 400, message="Unknown sort")


def test_a_deleted_users_likes_go_with_them(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "m")
    bob, carol = hub_client.new_user("bob"), hub_client.new_user("carol")
    for token in (bob, carol):
        client.post("/api/models/alice/m/like", headers=bearer(token))
    admin = hub_client.hub.accounts.create_user("root", "root@example.com", "correct-horse-battery", is_admin=True)
    root = hub_client.hub.accounts.create_token(admin.id, "admin")[1]
    assert client.delete("/admin/api/users/bob", headers=bearer(root)).status_code == 200
    assert _likes(hub_client, "alice/m") == 1
    assert [u["user"] for u in client.get("/api/models/alice/m/likers").json()] == ["carol"]
