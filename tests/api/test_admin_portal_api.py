"""What the admin portal's pages read and change through /admin/api/: recent activity and storage in the
statistics, storage totals and the largest repos, repo visibility, registration invitations and health.

Raw HTTP; every refusal is checked to change nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kohakuhub.db.models import Invitation, Repo, User
from tests.api.helpers import assert_error, bearer, commit, create_repo, file_op, lfs_op, lfs_upload
from tests.api.test_xet import Upload, _token, _upload
from tests.conftest import PASSWORD
from tests.s3_support import S3_MODE

BOOTSTRAP = "p" * 40


@pytest.fixture
def site(make_hub):
    """A hub with alice (user, her token in ``site.token``), root (site admin: ``site.root``) and the
    bootstrap admin token."""
    hub = make_hub(admin_token=BOOTSTRAP)
    root = hub.hub.accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    hub.root = hub.hub.accounts.create_token(root.id, "admin")[1]
    return hub


def _get(site, path: str) -> dict:
    resp = site.client.get(path, headers=bearer(site.root))
    assert resp.status_code == 200, resp.text
    return resp.json()


def _repo_with_lfs(site, name: str, data: bytes, *, private: bool = False) -> None:
    create_repo(site.client, site.token, name, private=private)
    lfs_upload(site.client, site.token, f"alice/{name}", data)
    commit(site.client, site.token, f"alice/{name}", [lfs_op("w.bin", data), file_op("a.txt", b"small")])


# --- statistics: storage and recent activity ------------------------------------------------------------


def test_stats_add_storage_and_recent_activity_to_the_counts(site):
    client = site.client
    create_repo(client, site.token, "first")
    _repo_with_lfs(site, "second", b"q" * 3000)
    assert client.post("/org/create", json={"name": "acme"}, headers=bearer(site.token)).status_code == 200
    stats = _get(site, "/admin/api/stats")
    # the counts the kohub-cli reads are unchanged
    assert stats["users"] == {"total": 2, "admins": 1, "disabled": 0} and stats["repos"]["total"] == 2
    assert stats["lfs"] == {"objects": 1, "bytes": 3000}
    storage = _get(site, "/admin/api/storage")
    assert stats["storage"] == {"stored_bytes": storage["stored_bytes"], "saved_by_dedup_bytes": 0}
    events = [(e["kind"], e["name"]) for e in stats["recent_activity"]]
    assert events == [("org_created", "acme"), ("repo_updated", "alice/second"), ("repo_created", "alice/second"),
                      ("repo_created", "alice/first"), ("user_created", "root"), ("user_created", "alice")]
    assert stats["recent_activity"][1] == {"kind": "repo_updated", "at": stats["recent_activity"][1]["at"],
                                           "name": "alice/second", "repo_type": "model", "private": False}
    times = [e["at"] for e in stats["recent_activity"]]
    assert times == sorted(times, reverse=True) and all(t.endswith("Z") for t in times)
    assert [e["kind"] for e in _get(site, "/admin/api/stats?activity=2")["recent_activity"]] == \
        ["org_created", "repo_updated"]
    for bad in ("activity=0", "activity=201", "activity=x"):
        assert_error(client.get(f"/admin/api/stats?{bad}", headers=bearer(site.root)), 400)


def test_activity_shows_private_repos_to_admins_and_forgets_deleted_ones(site):
    create_repo(site.client, site.token, "hidden", private=True)
    assert _get(site, "/admin/api/stats")["recent_activity"][0] == {
        "kind": "repo_created", "at": _get(site, "/admin/api/stats")["recent_activity"][0]["at"],
        "name": "alice/hidden", "repo_type": "model", "private": True}
    assert site.client.delete("/admin/api/repositories/models/alice/hidden",
                              headers=bearer(site.root)).status_code == 200
    assert "alice/hidden" not in {e["name"] for e in _get(site, "/admin/api/stats")["recent_activity"]}


# --- storage --------------------------------------------------------------------------------------------


def test_storage_totals_and_the_largest_repos(site):
    _repo_with_lfs(site, "big", os.urandom(8000))
    _repo_with_lfs(site, "small", os.urandom(2000), private=True)
    create_repo(site.client, site.token, "empty")
    storage = _get(site, "/admin/api/storage")
    assert storage["lfs"] == {"objects": 2, "bytes": 10_000}
    assert storage["xet"] == {"files": 0, "file_bytes": 0, "xorbs": 0, "stored_bytes": 0, "saved_bytes": 0}
    largest = storage["largest_repos"]
    assert [r["id"] for r in largest] == ["alice/big", "alice/small", "alice/empty"]
    assert largest[0]["lfs_bytes"] == 8000 and largest[1]["lfs_bytes"] == 2000 and largest[1]["private"] is True
    assert all(r["used_bytes"] == r["lfs_bytes"] + r["git_bytes"] for r in largest)
    assert storage["git"]["bytes"] == sum(r["git_bytes"] for r in largest) > 0
    assert storage["stored_bytes"] == 10_000 + storage["git"]["bytes"]
    # the bytes each repo uses are what the quotas count
    quota = site.client.get("/api/quota/alice", headers=site.auth()).json()
    assert quota["public"]["used"] == largest[0]["used_bytes"] + largest[2]["used_bytes"]
    assert quota["private"]["used"] == largest[1]["used_bytes"]
    assert [r["id"] for r in _get(site, "/admin/api/storage?limit=1")["largest_repos"]] == ["alice/big"]
    for bad in ("limit=0", "limit=1001", "limit=x"):
        assert_error(site.client.get(f"/admin/api/storage?{bad}", headers=bearer(site.root)), 400)
    listed = {r["id"]: r["used_bytes"] for r in _get(site, "/admin/api/repositories")["repositories"]}
    assert listed == {r["id"]: r["used_bytes"] for r in largest}


def test_storage_counts_xet_chunks_stored_once(site):
    """Two Xet files sharing most chunks: their sizes add up, the chunks they share are stored once."""
    create_repo(site.client, site.token, "xet-model")
    token = _token(site.client, site.token, "alice/xet-model")
    base = Upload(os.urandom(600_000))
    _upload(site.client, token, base)
    storage = _get(site, "/admin/api/storage")
    assert storage["xet"]["files"] == 1 and storage["xet"]["file_bytes"] == 600_000
    assert storage["xet"]["stored_bytes"] == len(base.xorb) and storage["lfs"]["objects"] == 0
    # The same bytes uploaded again (another file name, another repo) are the same file: nothing new.
    create_repo(site.client, site.token, "copy")
    _upload(site.client, _token(site.client, site.token, "alice/copy"), base)
    assert _get(site, "/admin/api/storage")["xet"] == storage["xet"]
    # A file made of the same chunks plus a new xorb: stored is the two xorbs, saved the chunks reused.
    doubled = Upload(base.data + os.urandom(1000))
    _upload(site.client, token, doubled)
    after = _get(site, "/admin/api/storage")["xet"]
    assert after["files"] == 2 and after["file_bytes"] == 600_000 + 601_000
    assert after["stored_bytes"] == len(base.xorb) + len(doubled.xorb)
    assert after["saved_bytes"] == max(0, after["file_bytes"] - after["stored_bytes"])
    stats = _get(site, "/admin/api/stats")
    assert stats["storage"]["saved_by_dedup_bytes"] == after["saved_bytes"]
    assert stats["xet"]["stored_bytes"] == after["stored_bytes"]


# --- repo visibility ------------------------------------------------------------------------------------


def test_admin_changes_any_repos_visibility(site):
    client, root = site.client, bearer(site.root)
    create_repo(client, site.token, "m")
    create_repo(client, site.token, "d", "dataset")
    resp = client.patch("/admin/api/repositories/models/alice/m", json={"private": True}, headers=root)
    assert resp.status_code == 200, resp.text
    assert resp.json()["repository"]["private"] is True and resp.json()["repository"]["id"] == "alice/m"
    assert_error(client.get("/api/models/alice/m"), 401, "RepoNotFound")  # anonymous: gone from view
    assert client.get("/api/models/alice/m", headers=site.auth()).json()["private"] is True
    resp = client.patch("/admin/api/repositories/datasets/ALICE/D", json={"private": True},
                        headers={"X-Admin-Token": BOOTSTRAP})
    assert resp.status_code == 200 and resp.json()["repository"]["private"] is True
    resp = client.patch("/admin/api/repositories/models/alice/m", json={"private": False}, headers=root)
    assert resp.json()["repository"]["private"] is False
    assert client.get("/api/models/alice/m").status_code == 200


def test_visibility_refusals_change_nothing(site):
    client, root = site.client, bearer(site.root)
    _repo_with_lfs(site, "m", b"v" * 5000)
    for body in ({}, {"private": "yes"}, {"private": 1}, {"private": None}):
        assert_error(client.patch("/admin/api/repositories/models/alice/m", json=body, headers=root), 400)
    assert_error(client.patch("/admin/api/repositories/models/alice/nothing", json={"private": True},
                              headers=root), 404, "RepoNotFound")
    assert_error(client.patch("/admin/api/repositories/bogus/alice/m", json={"private": True}, headers=root), 404)
    # the private quota cannot hold the repo: 413 naming it, and the repo stays public
    assert client.put("/admin/api/quotas/alice", json={"private": 100}, headers=root).status_code == 200
    resp = client.patch("/admin/api/repositories/models/alice/m", json={"private": True}, headers=root)
    assert_error(resp, 413, message="Quota exceeded for alice (private)")
    assert Repo.get(Repo.name == "m").private is False
    assert client.get("/api/quota/alice", headers=site.auth()).json()["private"]["used"] == 0
    for token in (site.token, None):
        assert_error(client.patch("/admin/api/repositories/models/alice/m", json={"private": True},
                                  headers=bearer(token)), 403 if token else 401)
    assert Repo.get(Repo.name == "m").private is False


# --- registration invitations ---------------------------------------------------------------------------


def test_registration_invitations_listed_and_revoked(make_hub):
    site = make_hub(registration="invite")
    client = site.client
    root = site.hub.accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    admin = bearer(site.hub.accounts.create_token(root.id, "a")[1])
    assert _list(client, admin) == {"registration": "invite", "invitations": []}
    made = client.post("/api/invitations/register/create", json={"max_uses": 2, "expires_in_days": 3}, headers=admin)
    assert made.status_code == 200, made.text
    once = client.post("/api/invitations/register/create", json={"max_uses": 1}, headers=admin).json()
    assert client.post("/org/create", json={"name": "acme"}, headers=site.auth()).status_code == 200
    org_link = client.post("/api/invitations/org/acme/create", json={"role": "member"}, headers=site.auth())
    assert org_link.status_code == 200  # an org's links are the org's business, not listed here
    register = {"username": "newbie", "email": "n@example.com", "password": PASSWORD, "invitation": once["token"]}
    assert client.post("/api/auth/register", json=register).status_code == 200

    listed = _list(client, admin)["invitations"]
    assert [i["id"] for i in listed] == [once["id"], made.json()["id"]]  # newest first
    used, fresh = listed
    assert (used["uses"], used["is_valid"], used["error"]) == (1, False, "This invitation has already been used")
    assert fresh == {**{k: made.json()[k] for k in ("id", "kind", "org_name", "role", "max_uses", "uses",
                                                    "expires_at", "created_at", "is_valid", "error")},
                     "created_by": "root"}
    assert "token" not in fresh and "invitation_link" not in fresh  # a link is shown once, when it is made
    assert client.delete(f"/api/invitations/{fresh['id']}", headers=admin).status_code == 200
    assert [i["id"] for i in _list(client, admin)["invitations"]] == [once["id"]]
    assert_error(client.get("/admin/api/invitations", headers=site.auth()), 403)
    assert_error(client.get("/admin/api/invitations"), 401)
    assert Invitation.select().count() == 2  # the used one and the org's


def _list(client, headers) -> dict:
    resp = client.get("/admin/api/invitations", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


# --- health ---------------------------------------------------------------------------------------------


def test_health_measures_each_part(site):
    for headers in (bearer(site.root), {"X-Admin-Token": BOOTSTRAP}):
        report = site.client.get("/admin/api/health", headers=headers).json()
        assert report["ok"] is True, report
        checks = {c["name"]: c for c in report["checks"]}
        assert list(checks) == ["database", "blob_store", "git", "git_data_dir"]
        for check in checks.values():
            assert set(check) == {"name", "ok", "latency_ms", "detail"} and check["ok"] is True
            assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
        settings = site.hub.settings
        expected_db = "PostgreSQL" if settings.resolved_database_url.startswith("postgres") else "SQLite"
        assert checks["database"]["detail"].startswith(expected_db)
        store = f"S3 bucket {settings.s3_bucket_name} at {settings.s3_endpoint}" if S3_MODE else \
            f"local directory {settings.blob_dir}"
        assert checks["blob_store"]["detail"] == f"{store}: wrote, read back and deleted 64 bytes"
        assert checks["git"]["detail"].startswith("git version ")
        assert checks["git_data_dir"]["detail"].startswith(f"{settings.git_dir}: writable, ")
    # the probes leave nothing behind
    assert list(site.hub.lfs.store.list_keys("health/")) == []
    assert not [p for p in Path(site.hub.settings.git_dir).iterdir() if p.name.startswith(".health-")]


def test_health_reports_a_missing_git_binary_and_keeps_measuring(site, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no git on the PATH
    report = _get(site, "/admin/api/health")
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False and checks["git"]["ok"] is False
    assert checks["git"]["detail"].startswith("FileNotFoundError") and "git" in checks["git"]["detail"]
    assert all(checks[name]["ok"] for name in ("database", "blob_store", "git_data_dir"))


@pytest.mark.local_storage
def test_health_reports_unwritable_storage(site):
    settings = site.hub.settings
    for directory in (settings.blob_dir, settings.git_dir):
        if directory.exists():
            directory.rename(directory.with_name(directory.name + "-moved"))
        directory.write_bytes(b"a file where the directory belongs")
    report = _get(site, "/admin/api/health")
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False
    assert [name for name, c in checks.items() if not c["ok"]] == ["blob_store", "git_data_dir"]
    assert checks["git_data_dir"]["detail"].startswith("FileExistsError")
    assert checks["database"]["ok"] and checks["git"]["ok"]


def test_new_routes_refuse_non_admins(site):
    create_repo(site.client, site.token, "r")
    read_admin = site.hub.accounts.create_token(User.get(User.username == "root").id, "ro", "read")[1]
    for method, url in (("GET", "/admin/api/storage"), ("GET", "/admin/api/invitations"),
                        ("GET", "/admin/api/health"), ("PATCH", "/admin/api/repositories/models/alice/r")):
        body = {"private": True} if method == "PATCH" else None
        assert_error(site.client.request(method, url, json=body), 401)
        assert_error(site.client.request(method, url, json=body, headers=bearer(site.token)), 403)
        if method == "PATCH":
            assert_error(site.client.request(method, url, json=body, headers=bearer(read_admin)), 403)
        else:
            assert site.client.get(url, headers=bearer(read_admin)).status_code == 200
    assert Repo.get(Repo.name == "r").private is False
