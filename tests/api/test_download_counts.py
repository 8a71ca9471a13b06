"""Download counting (lib/download_rules.py, services/downloads.py): which requests count, once per visitor
and window, across workers; the 30-day, all-time and trending windows; the sort keys."""

from __future__ import annotations

import time
from datetime import timedelta

from kohakuhub.db.models import DownloadVisit, Repo, RepoDownloadDay, utcnow
from kohakuhub.services.downloads import WINDOW_SECONDS, DownloadCounter
from tests.api.helpers import bearer, commit, create_repo, file_op, lfs_op, lfs_upload
from tests.conftest import HubClient

WEIGHTS = b"W" * 4096


def _stats(hc: HubClient, repo: str, plural: str = "models") -> tuple[int, int, int]:
    info = hc.client.get(f"/api/{plural}/{repo}", headers=hc.auth()).json()
    return info["downloads"], info["downloadsAllTime"], info["trendingScore"]


def _model(hc: HubClient, name: str = "m") -> str:
    repo = f"alice/{name}"
    create_repo(hc.client, hc.token, name)
    lfs_upload(hc.client, hc.token, repo, WEIGHTS)
    commit(hc.client, hc.token, repo, [file_op("config.json", b"{}\n"), file_op("README.md", b"# m\n"),
                                       file_op("sub/config.json", b"{}\n"), file_op("q4.GGUF", b"gguf"),
                                       lfs_op("model.safetensors", WEIGHTS)])
    return repo


def test_a_model_counts_its_query_files_once_per_visitor_and_window(hub_client: HubClient) -> None:
    client = hub_client.client
    repo = _model(hub_client)
    bob, carol, dave = (hub_client.new_user(name) for name in ("bob", "carol", "dave"))
    assert _stats(hub_client, repo) == (0, 0, 0)
    # Weights, the card and a nested config are not query files: no count.
    for path in ("model.safetensors", "README.md", "sub/config.json", ".gitattributes"):
        assert client.head(f"/{repo}/resolve/main/{path}", headers=bearer(dave)).status_code == 200
        assert client.get(f"/{repo}/resolve/main/{path}", headers=bearer(dave)).status_code == 200
    assert _stats(hub_client, repo) == (0, 0, 0)
    # hf_hub_download's HEAD then GET of config.json is one download.
    client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    client.get(f"/{repo}/resolve/main/config.json", headers=bearer(bob))
    assert _stats(hub_client, repo) == (1, 1, 1)
    client.get(f"/api/models/{repo}/resolve/main/config.json", headers=bearer(carol))  # the /api/ URL form
    client.head(f"/{repo}/resolve/main/config.json")  # anonymous: counted by address
    client.head(f"/{repo}/resolve/main/config.json")
    assert _stats(hub_client, repo) == (3, 3, 3)
    client.head(f"/{repo}/resolve/main/q4.GGUF", headers=bearer(dave))  # the GGUF rule
    assert _stats(hub_client, repo) == (4, 4, 4)
    # Failed requests never count.
    client.head(f"/{repo}/resolve/main/missing.json", headers=bearer(hub_client.new_user("erin")))
    client.head(f"/{repo}/resolve/no-such-branch/config.json", headers=bearer(hub_client.new_user("fred")))
    assert _stats(hub_client, repo) == (4, 4, 4)


def test_datasets_count_any_file_and_spaces_none(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "d", "dataset")
    commit(client, hub_client.token, "alice/d", [file_op("train.csv", b"a\n1\n"), file_op("test.csv", b"a\n2\n")],
           repo_type="dataset")
    create_repo(client, hub_client.token, "s", "space")
    commit(client, hub_client.token, "alice/s", [file_op("config.json", b"{}")], repo_type="space")
    bob = hub_client.new_user("bob")
    for path in ("train.csv", "test.csv", "README.md"):  # the last is missing: not counted
        client.get(f"/datasets/alice/d/resolve/main/{path}", headers=bearer(bob))
    assert _stats(hub_client, "alice/d", "datasets")[:2] == (1, 1)
    client.get("/datasets/alice/d/resolve/main/train.csv", headers=hub_client.auth())
    assert _stats(hub_client, "alice/d", "datasets")[:2] == (2, 2)
    client.get("/spaces/alice/s/resolve/main/config.json", headers=bearer(bob))
    assert _stats(hub_client, "alice/s", "spaces")[:2] == (0, 0)


def test_gated_refusals_are_not_downloads(hub_client: HubClient) -> None:
    repo = _model(hub_client)
    hub_client.client.put(f"/api/models/{repo}/settings", json={"gated": "manual"}, headers=hub_client.auth())
    bob = hub_client.new_user("bob")
    assert hub_client.client.head(f"/{repo}/resolve/main/config.json", headers=bearer(bob)).status_code == 403
    assert _stats(hub_client, repo) == (0, 0, 0)


def test_windows_and_workers(hub_client: HubClient) -> None:
    """A new window counts the same visitor again; two workers count one visit once; old visits are pruned."""
    repo = _model(hub_client)
    repo_id = Repo.get(Repo.full_key == "model/alice/m").id
    now = [1_000_000 * WINDOW_SECONDS + 10.0]
    workers = [DownloadCounter(hub_client.hub.db, clock=lambda: now[0]) for _ in range(2)]
    for worker in workers:
        worker.record(repo_id, "model", "config.json", "user:7")
        worker.record(repo_id, "model", "config.json", "user:7")
    assert [worker.flush() for worker in workers] == [1, 0]
    now[0] += WINDOW_SECONDS
    workers[1].record(repo_id, "model", "config.json", "user:7")
    assert workers[1].flush() == 1
    now[0] += 3 * WINDOW_SECONDS
    workers[0].record(repo_id, "model", "config.json", "user:8")
    assert workers[0].flush() == 1
    assert sorted(v.window for v in DownloadVisit.select()) == [1_000_004]  # older windows forgotten
    assert Repo.get_by_id(repo_id).downloads == 3
    for worker in workers:
        worker.close()
    workers[0].record(repo_id, "model", "config.json", "user:9")  # after close: ignored
    assert workers[0].flush() == 0


def test_visits_to_a_deleted_repo_are_dropped(hub_client: HubClient) -> None:
    repo = _model(hub_client)
    repo_id = Repo.get(Repo.full_key == "model/alice/m").id
    counter = DownloadCounter(hub_client.hub.db)
    counter.record(repo_id, "model", "config.json", "user:1")
    hub_client.client.request("DELETE", "/api/repos/delete", json={"name": "m"}, headers=hub_client.auth())
    assert counter.flush() == 0
    assert not RepoDownloadDay.select().exists()
    counter.close()
    assert repo


def test_the_counter_thread_writes_without_being_asked(hub_client: HubClient) -> None:
    repo = _model(hub_client)
    repo_id = Repo.get(Repo.full_key == "model/alice/m").id
    counter = DownloadCounter(hub_client.hub.db, flush_interval=0.05, idle_exit=0.2)
    counter.record(repo_id, "model", "config.json", "user:1")
    deadline = time.monotonic() + 30  # generous: the machine is shared; the thread writes within 50 ms
    while Repo.get_by_id(repo_id).downloads == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Repo.get_by_id(repo_id).downloads == 1
    counter.close()
    assert repo


def test_the_30_day_all_time_and_trending_windows_and_the_sort(hub_client: HubClient) -> None:
    client = hub_client.client
    for name in ("a", "b"):
        _model(hub_client, name)
    users = [hub_client.new_user(f"u{i}") for i in range(3)]
    for repo, count in (("a", 1), ("b", 3)):
        for token in users[:count]:
            client.head(f"/alice/{repo}/resolve/main/config.json", headers=bearer(token))
    assert [(r["id"], r["downloads"]) for r in client.get("/api/models?sort=downloads").json()] == [
        ("alice/b", 3), ("alice/a", 1)]
    b = Repo.get(Repo.full_key == "model/alice/b").id
    today = utcnow().date()
    RepoDownloadDay.update(day=today - timedelta(days=10)).where(RepoDownloadDay.repo == b).execute()
    assert _stats(hub_client, "alice/b") == (3, 3, 0)  # in the month, not in the week
    assert [r["id"] for r in client.get("/api/models?sort=trendingScore").json()] == ["alice/a", "alice/b"]
    RepoDownloadDay.update(day=today - timedelta(days=40)).where(RepoDownloadDay.repo == b).execute()
    assert _stats(hub_client, "alice/b") == (0, 3, 0)  # older than 30 days: only all time
    assert [r["id"] for r in client.get("/api/models?sort=downloads").json()] == ["alice/a", "alice/b"]


def test_visits_past_the_pending_bound_are_dropped_and_logged(hub_client: HubClient, monkeypatch, caplog) -> None:
    from kohakuhub.services import downloads

    _model(hub_client)
    repo_id = Repo.get(Repo.full_key == "model/alice/m").id
    monkeypatch.setattr(downloads, "MAX_PENDING", 3)
    counter = DownloadCounter(hub_client.hub.db, flush_interval=3600)
    for n in range(5):
        counter.record(repo_id, "model", "config.json", f"user:{n}")
    with caplog.at_level("WARNING", logger="kohakuhub.services.downloads"):
        assert counter.flush() == 3
    assert "2 download visits were not counted" in caplog.text
    counter.close()
