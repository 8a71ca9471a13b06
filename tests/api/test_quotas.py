"""Storage quotas: usage kept incrementally, enforcement at every write surface, and the quota API."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from kohakuhub.lib.lfs_pointer import make_pointer
from tests.api.helpers import (
    NDJSON,
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    lfs_batch,
    lfs_op,
    lfs_upload,
    ndjson,
    sha256,
)
from tests.conftest import PASSWORD, HubClient


class Quota:
    """A hub with alice (owner), root (site admin) and helpers to read and set alice's quota."""

    def __init__(self, hc: HubClient) -> None:
        self.hc = hc
        self.c = hc.client
        accounts = hc.hub.accounts
        admin = accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
        self.admin = accounts.create_token(admin.id, "admin")[1]

    def get(self, ns: str = "alice", token: str | None = None) -> dict:
        resp = self.c.get(f"/api/quota/{ns}", headers=bearer(token or self.hc.token))
        assert resp.status_code == 200, resp.text
        return resp.json()

    def used(self, bucket: str = "public") -> int:
        return self.get()[bucket]["used"]

    def limit(self, bucket: str, value: int | None, ns: str = "alice") -> None:
        resp = self.c.put(f"/api/quota/{ns}", json={bucket: value}, headers=bearer(self.admin))
        assert resp.status_code == 200, resp.text
        assert resp.json()[bucket]["limit"] == value

    def leave(self, bucket: str, room: int) -> None:
        """Set the limit to what is used now plus ``room`` bytes."""
        self.limit(bucket, self.used(bucket) + room)

    def recalculated(self, ns: str = "alice") -> dict:
        resp = self.c.post(f"/api/quota/{ns}/recalculate", headers=bearer(self.admin))
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture
def q(hub_client: HubClient) -> Quota:
    return Quota(hub_client)


def test_usage_counts_file_contents_and_lfs_objects(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    initial = q.used()
    assert initial > 0  # the initial .gitattributes
    commit(q.c, q.hc.token, "alice/r", [file_op("a.txt", b"x" * 100)])
    assert q.used() == initial + 100
    commit(q.c, q.hc.token, "alice/r", [file_op("b.txt", b"x" * 100)])  # same content: same blob
    assert q.used() == initial + 100
    data = os.urandom(5000)
    oid = lfs_upload(q.c, q.hc.token, "alice/r", data)
    assert q.used() == initial + 100  # uploaded, not yet committed
    commit(q.c, q.hc.token, "alice/r", [lfs_op("w.bin", data)])
    after = initial + 100 + 5000 + len(make_pointer(oid, 5000))
    assert q.used() == after
    assert q.get()["private"]["used"] == 0
    assert q.recalculated()["public"]["used"] == after


def test_preupload_exactly_at_limit_and_one_byte_over(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    q.leave("public", 3000)
    body = {"files": [{"path": "a.bin", "size": 2000, "sample": ""}, {"path": "b.bin", "size": 1000, "sample": ""}]}
    resp = q.c.post(f"{api('alice/r')}/preupload/main", json=body, headers=bearer(q.hc.token))
    assert resp.status_code == 200, resp.text
    body["files"][1]["size"] = 1001
    resp = q.c.post(f"{api('alice/r')}/preupload/main", json=body, headers=bearer(q.hc.token))
    assert_error(resp, 413, message="Quota exceeded for alice (public)")
    assert "this upload needs 3.0 KB" in resp.json()["error"]


def test_inline_commit_exactly_at_limit_then_one_byte_over(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    q.leave("public", 500)
    commit(q.c, q.hc.token, "alice/r", [file_op("a.txt", b"a" * 500)])
    used = q.used()
    assert used == q.get()["public"]["limit"]  # exactly at the limit
    head = q.c.get(f"{api('alice/r')}/revision/main", headers=bearer(q.hc.token)).json()["sha"]
    resp = commit(q.c, q.hc.token, "alice/r", [file_op("b.txt", b"b")], expect=None)
    assert_error(resp, 413, message="Quota exceeded for alice (public)")
    assert "this commit needs 1 bytes" in resp.json()["error"]
    assert q.c.get(f"{api('alice/r')}/revision/main", headers=bearer(q.hc.token)).json()["sha"] == head
    assert q.used() == used
    # Deleting a file frees nothing (history keeps it) but is allowed: it adds nothing.
    commit(q.c, q.hc.token, "alice/r", [{"key": "deletedFile", "value": {"path": "a.txt"}}])
    assert q.used() == used


def test_lfs_file_commit_at_limit_and_over(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    data = os.urandom(4000)
    oid = lfs_upload(q.c, q.hc.token, "alice/r", data)
    needed = len(data) + len(make_pointer(oid, len(data)))  # *.bin is tracked: .gitattributes unchanged
    q.leave("public", needed - 1)
    resp = commit(q.c, q.hc.token, "alice/r", [lfs_op("w.bin", data)], expect=None)
    assert_error(resp, 413, message=f"this commit needs {needed / 1000:.1f} KB")
    q.leave("public", needed)
    commit(q.c, q.hc.token, "alice/r", [lfs_op("w.bin", data)])
    assert q.used() == q.get()["public"]["limit"]


def test_lfs_batch_upload_at_limit_and_over(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    data = os.urandom(2048)
    q.leave("public", 2048)
    ok = lfs_batch(q.c, q.hc.token, "alice/r", [(sha256(data), 2048)])
    assert ok.status_code == 200 and "actions" in ok.json()["objects"][0], ok.text
    resp = lfs_batch(q.c, q.hc.token, "alice/r", [(sha256(data), 2048), (sha256(b"other"), 1)])
    assert resp.status_code == 413, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.git-lfs+json")
    assert "Quota exceeded for alice (public)" in resp.json()["message"]
    # Downloads are never refused by quota.
    assert lfs_batch(q.c, q.hc.token, "alice/r", [(sha256(data), 2048)], operation="download").status_code == 200


def test_private_and_public_are_separate_and_visibility_moves_usage(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "pub")
    create_repo(q.c, q.hc.token, "priv", private=True)
    commit(q.c, q.hc.token, "alice/priv", [file_op("a.txt", b"p" * 300)])
    quota = q.get()
    assert quota["private"]["used"] > 300 and quota["public"]["used"] > 0
    priv_used = quota["private"]["used"]
    q.limit("private", priv_used)  # full
    commit(q.c, q.hc.token, "alice/pub", [file_op("a.txt", b"q" * 300)])  # the public bucket is unlimited
    resp = commit(q.c, q.hc.token, "alice/priv", [file_op("b.txt", b"z")], expect=None)
    assert_error(resp, 413, message="(private)")
    # Making the public repo private would not fit: refused, nothing changes.
    resp = q.c.put(f"{api('alice/pub')}/settings", json={"private": True}, headers=bearer(q.hc.token))
    assert_error(resp, 413, message="making alice/pub private needs")
    assert q.c.get(api("alice/pub"), headers=bearer(q.hc.token)).json()["private"] is False
    # Making the private repo public moves its usage to the public bucket.
    pub_before = q.used("public")
    resp = q.c.put(f"{api('alice/priv')}/settings", json={"private": False}, headers=bearer(q.hc.token))
    assert resp.status_code == 200, resp.text
    assert q.get()["private"]["used"] == 0
    assert q.used("public") == pub_before + priv_used


def test_move_between_namespaces_moves_usage_or_is_refused(q: Quota) -> None:
    bob = q.hc.new_user("bob")
    create_repo(q.c, q.hc.token, "r")
    commit(q.c, q.hc.token, "alice/r", [file_op("a.txt", b"m" * 1000)])
    size = q.used()
    # root may move repos anywhere; bob's quota is too small first.
    q.limit("public", size - 1, ns="bob")
    resp = q.c.post("/api/repos/move", json={"fromRepo": "alice/r", "toRepo": "bob/r"}, headers=bearer(q.admin))
    assert_error(resp, 413, message="Quota exceeded for bob (public)")
    assert q.used() == size
    q.limit("public", size, ns="bob")
    resp = q.c.post("/api/repos/move", json={"fromRepo": "alice/r", "toRepo": "bob/r"}, headers=bearer(q.admin))
    assert resp.status_code == 200, resp.text
    assert q.used() == 0
    assert q.get("bob", bob)["public"]["used"] == size
    assert q.recalculated("bob")["public"]["used"] == size
    assert q.recalculated("alice")["public"]["used"] == 0


def test_recalculation_equals_incremental_usage(q: Quota) -> None:
    token = q.hc.token
    create_repo(q.c, token, "a")
    create_repo(q.c, token, "b", private=True)
    big = os.urandom(3000)
    commit(q.c, token, "alice/a", [file_op("x.txt", b"1" * 200), file_op("w.bin", big), file_op("y.txt", b"2")])
    commit(q.c, token, "alice/a", [{"key": "deletedFile", "value": {"path": "x.txt"}}, file_op("z.txt", b"3" * 50)])
    commit(q.c, token, "alice/b", [file_op("x.txt", b"1" * 200)])  # same content, other repo: counted again
    assert q.c.post(f"{api('alice/a')}/branch/dev", json={}, headers=bearer(token)).status_code == 200
    commit(q.c, token, "alice/a", [file_op("dev.txt", b"d" * 77)], revision="dev")
    commit(q.c, token, "alice/a", [file_op("revert.txt", b"1" * 200)], revision="dev")  # reachable already
    incremental = q.get()
    assert q.recalculated() == incremental
    # Deleting the branch drops what only it reached; squashing drops the deleted file's blob.
    assert q.c.delete(f"{api('alice/a')}/branch/dev", headers=bearer(token)).status_code == 200
    assert q.used() == incremental["public"]["used"] - 77
    resp = q.c.post(f"{api('alice/a')}/super-squash/main", json={}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    incremental = q.get()
    assert q.recalculated() == incremental
    create_repo(q.c, token, "c")
    assert q.c.request("DELETE", "/api/repos/delete", json={"name": "b"}, headers=bearer(token)).status_code == 200
    assert q.get()["private"]["used"] == 0
    incremental = q.get()
    assert q.recalculated() == incremental


def test_concurrent_commits_do_not_exceed_the_quota_together(q: Quota) -> None:
    create_repo(q.c, q.hc.token, "r")
    q.leave("public", 1000)
    results: list[int] = []

    def push(i: int) -> None:
        resp = q.c.post(f"{api('alice/r')}/commit/main", content=ndjson([file_op(f"f{i}.txt", bytes([65 + i]) * 300)]),
                        headers={**bearer(q.hc.token), **NDJSON})
        results.append(resp.status_code)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 413, 413, 413], results
    quota = q.get()
    assert quota["public"]["used"] <= quota["public"]["limit"]
    assert q.recalculated() == quota


def test_default_quotas_from_settings(make_hub: Callable[..., HubClient]) -> None:
    hc = make_hub(default_public_quota_bytes=10_000, default_private_quota_bytes=0)
    resp = hc.client.get("/api/quota/alice", headers=hc.auth())
    assert resp.json()["public"]["limit"] == 10_000 and resp.json()["private"]["limit"] == 0
    create_repo(hc.client, hc.token, "p", private=True)  # creating is never refused
    resp = commit(hc.client, hc.token, "alice/p", [file_op("a.txt", b"a")], expect=None)
    assert_error(resp, 413, message="Quota exceeded for alice (private)")


def test_quota_endpoint_permissions(q: Quota) -> None:
    bob = q.hc.new_user("bob")
    alice_read = q.hc.hub.accounts.create_token(1, "read", "read")[1]
    assert q.c.get("/api/quota/alice").status_code == 401
    assert_error(q.c.get("/api/quota/alice", headers=bearer(bob)), 404)
    assert_error(q.c.get("/api/quota/nobody", headers=bearer(bob)), 404)
    assert q.get("ALICE", alice_read)["namespace"] == "alice"  # case-insensitive, read tokens may look
    assert q.get("alice", q.admin)["namespace"] == "alice"
    for token, status in ((q.hc.token, 403), (alice_read, 403), (bob, 404)):  # bob may not even see it
        assert_error(q.c.put("/api/quota/alice", json={"public": 1}, headers=bearer(token)), status)
        assert_error(q.c.post("/api/quota/alice/recalculate", headers=bearer(token)), status)
    assert q.c.put("/api/quota/alice", json={"public": 1}).status_code == 401
    assert_error(q.c.put("/api/quota/alice", json={"public": -5}, headers=bearer(q.admin)), 400)
    assert_error(q.c.put("/api/quota/alice", json={"public": "lots"}, headers=bearer(q.admin)), 400)
    q.limit("public", 5)
    q.limit("public", None)  # unlimited
    resp = q.c.put("/api/quota/alice", json={"public": "default"}, headers=bearer(q.admin))
    assert resp.json()["public"]["limit"] is None


def test_existing_repos_are_measured_on_first_use(q: Quota) -> None:
    """A database upgraded to version 4 has repos but no usage rows: the first use measures them."""
    from kohakuhub.db.models import NamespaceQuota, RepoUsage

    create_repo(q.c, q.hc.token, "old")
    data = os.urandom(2000)
    lfs_upload(q.c, q.hc.token, "alice/old", data)
    commit(q.c, q.hc.token, "alice/old", [file_op("a.txt", b"o" * 123), lfs_op("w.bin", data)])
    expected = q.get()
    RepoUsage.delete().execute()
    NamespaceQuota.delete().execute()
    assert q.get() == expected
    commit(q.c, q.hc.token, "alice/old", [file_op("b.txt", b"n" * 10)])
    assert q.used() == expected["public"]["used"] + 10
    assert q.recalculated()["public"]["used"] == expected["public"]["used"] + 10


def test_org_members_of_any_role_read_the_org_quota(q: Quota) -> None:
    alice = q.hc.token
    assert q.c.post("/org/create", json={"name": "acme"}, headers=bearer(alice)).status_code == 200
    members = {role: q.hc.new_user(f"m-{role}") for role in ("visitor", "member", "admin")}
    for role in members:
        resp = q.c.post("/org/acme/members", json={"username": f"m-{role}", "role": role}, headers=bearer(alice))
        assert resp.status_code == 200, resp.text
    outsider = q.hc.new_user("outsider")
    visitor_id = q.hc.hub.accounts.get_user("m-visitor").id
    visitor_read = q.hc.hub.accounts.create_token(visitor_id, "ro", "read")[1]
    create_repo(q.c, alice, "w", organization="acme", private=True)
    commit(q.c, alice, "acme/w", [file_op("a.txt", b"o" * 400)])
    expected = q.get("acme", q.admin)
    assert expected["namespace"] == "acme" and expected["private"]["used"] > 400
    for token in (alice, visitor_read, *members.values()):
        assert q.get("ACME", token) == expected  # any role, any case, read tokens included
    assert_error(q.c.get("/api/quota/acme", headers=bearer(outsider)), 404)
    assert_error(q.c.get("/api/quota/acme"), 401)
    # members see it but only site admins change it
    for token in (alice, members["admin"], members["visitor"]):
        assert_error(q.c.put("/api/quota/acme", json={"private": 1}, headers=bearer(token)), 403)
        assert_error(q.c.post("/api/quota/acme/recalculate", headers=bearer(token)), 403)
    assert q.get("acme", q.admin) == expected
    # membership in the org shows nothing of the other members' own namespaces
    assert_error(q.c.get("/api/quota/m-member", headers=bearer(members["visitor"])), 404)
    # a member who leaves loses sight of it at once
    assert q.c.delete("/org/acme/members/m-visitor", headers=bearer(alice)).status_code == 200
    assert_error(q.c.get("/api/quota/acme", headers=bearer(members["visitor"])), 404)


def test_repo_info_used_storage_is_the_repos_own_usage(q: Quota) -> None:
    """``usedStorage`` (read by huggingface_hub's ModelInfo.used_storage) is each repo's share of its bucket."""
    from kohakuhub.db.models import NamespaceQuota, RepoUsage

    create_repo(q.c, q.hc.token, "big")
    create_repo(q.c, q.hc.token, "small")
    data = os.urandom(3000)
    oid = lfs_upload(q.c, q.hc.token, "alice/big", data)
    commit(q.c, q.hc.token, "alice/big", [file_op("a.txt", b"u" * 200), lfs_op("w.bin", data)])

    def used(repo: str, revision: str = "") -> int:
        path = api(f"alice/{repo}") + (f"/revision/{revision}" if revision else "")
        resp = q.c.get(path, headers=bearer(q.hc.token))
        assert resp.status_code == 200, resp.text
        return resp.json()["usedStorage"]

    big, small = used("big"), used("small")
    assert small > 0  # the initial .gitattributes
    assert big == small + 200 + 3000 + len(make_pointer(oid, 3000))
    assert big + small == q.used()
    # The whole repo's usage at any revision; a repo of a namespace not measured yet is measured on demand.
    assert used("big", "main") == big
    RepoUsage.delete().execute()
    NamespaceQuota.delete().execute()
    assert used("big") == big
