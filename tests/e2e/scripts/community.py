"""Gated repos and access requests, likes, download counts and profiles through the stock client.

The client has no method to ask for access or to like (the Hub's page does both); those two steps are
raw HTTP calls to the same routes the page uses. Everything else is the client's own API.
"""

from __future__ import annotations

from typing import Any

import httpx
from huggingface_hub import HfApi, hf_hub_download, snapshot_download

from tests.e2e.scripts.common import error_of, http_error_of, random_file, workdir

CARD = """---
license: mit
extra_gated_fields:
  Company: text
  I agree to the terms: checkbox
---
# gated
"""


def _http(ctx: Any, token: str | None) -> httpx.Client:
    return httpx.Client(base_url=ctx.endpoint, headers={"Authorization": f"Bearer {token}"} if token else {})


def _read(repo_id: str, filename: str, cache: str, **kwargs: Any) -> bytes:
    with open(hf_hub_download(repo_id, filename, cache_dir=cache, **kwargs), "rb") as f:
        return f.read()


def gated_settings(ctx: Any, model_id: str, dataset_id: str) -> dict:
    """update_repo_settings(gated=..., private=...) read back through model_info/dataset_info (the upstream
    client's own test), and the lists' gated filter."""
    api = HfApi()
    api.create_repo(model_id)
    api.create_repo(dataset_id, repo_type="dataset")
    seen: dict[str, list] = {"model": [], "dataset": []}
    for gated in ("auto", "manual", False):
        for private in (True, False):
            api.update_repo_settings(model_id, gated=gated, private=private)
            info = api.model_info(model_id)
            seen["model"].append([info.gated, info.private])
            api.update_repo_settings(dataset_id, repo_type="dataset", gated=gated, private=private)
            info = api.dataset_info(dataset_id)
            seen["dataset"].append([info.gated, info.private])
    api.update_repo_settings(model_id, gated="manual")
    name = model_id.split("/")[1]
    return {
        "seen": seen,
        "listed_gated": [m.id for m in api.list_models(search=name, gated=True, expand=["gated"])],
        "listed_open": [m.id for m in api.list_models(search=name, gated=False)],
        "bad_value": http_error_of(_http(ctx, ctx.token).put(f"/api/models/{model_id}/settings",
                                                             json={"gated": "sometimes"}).raise_for_status),
        "after_bad_value": api.model_info(model_id).gated,
    }


def gated_access(ctx: Any, repo_id: str, carol_token: str, carol: str) -> dict:
    """A manual gate: GatedRepoError for readers, then ask, accept, reject, cancel, grant with the client."""
    api, bob, anonymous = HfApi(), HfApi(token=ctx.other_token), HfApi(token=False)
    bob_name = bob.whoami()["name"]
    api.create_repo(repo_id)
    weights = random_file(workdir(ctx, "gated-src") / "w.bin", 2 * 1024 * 1024)  # above the LFS threshold
    api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b'{"a": 1}\n', path_in_repo="config.json", repo_id=repo_id)
    api.upload_file(path_or_fileobj=weights, path_in_repo="w.bin", repo_id=repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    cache = lambda name: f"{ctx.workdir}/cache-{name}"  # noqa: E731
    before = {
        "bob_download": http_error_of(hf_hub_download, repo_id, "config.json", token=ctx.other_token,
                                      cache_dir=cache("b1")),
        "bob_snapshot": error_of(snapshot_download, repo_id, token=ctx.other_token, cache_dir=cache("b2")),
        "bob_auth_check": error_of(bob.auth_check, repo_id),
        "bob_file_exists": error_of(bob.file_exists, repo_id, "config.json"),
        "bob_repo_exists": bob.repo_exists(repo_id),
        "bob_info_gated": bob.model_info(repo_id).gated,
        "bob_files": sorted(bob.list_repo_files(repo_id)),
        "anonymous_download": http_error_of(hf_hub_download, repo_id, "config.json", token=False,
                                            cache_dir=cache("a1")),
        "anonymous_auth_check": error_of(anonymous.auth_check, repo_id),
        "owner_download": _read(repo_id, "w.bin", cache("o1")) == weights,
    }
    asked = _http(ctx, ctx.other_token).post(f"/api/models/{repo_id}/ask-access",
                                             json={"Company": "ACME", "I agree to the terms": True})
    pending = list(api.list_pending_access_requests(repo_id))
    steps: dict[str, Any] = {
        "ask": [asked.status_code, asked.json()],
        "pending": [[r.username, r.email, r.status, r.fields] for r in pending],
        "pending_download": http_error_of(hf_hub_download, repo_id, "config.json", token=ctx.other_token,
                                          cache_dir=cache("b3")),
        "bob_lists_requests": http_error_of(lambda: list(bob.list_pending_access_requests(repo_id))),
    }
    api.accept_access_request(repo_id, bob_name)
    steps["accepted"] = [r.username for r in api.list_accepted_access_requests(repo_id)]
    steps["bob_after_accept"] = {
        "config": _read(repo_id, "config.json", cache("b4"), token=ctx.other_token).decode(),
        "weights": _read(repo_id, "w.bin", cache("b4"), token=ctx.other_token) == weights,
        "snapshot": sorted(p.name for p in __import__("pathlib").Path(
            snapshot_download(repo_id, token=ctx.other_token, cache_dir=cache("b5"))).iterdir()),
        "auth_check": error_of(bob.auth_check, repo_id),
    }
    api.reject_access_request(repo_id, bob_name, rejection_reason="Not this time")
    steps["rejected"] = [r.username for r in api.list_rejected_access_requests(repo_id)]
    steps["rejected_download"] = http_error_of(hf_hub_download, repo_id, "config.json", token=ctx.other_token,
                                               cache_dir=cache("b6"))
    api.cancel_access_request(repo_id, bob_name)
    steps["cancelled_to_pending"] = [r.username for r in api.list_pending_access_requests(repo_id)]
    granted = api.grant_access(repo_id, carol)
    accepted = {r.username: r for r in api.list_accepted_access_requests(repo_id)}
    steps["grant"] = {"answer": granted, "accepted": sorted(accepted), "email": accepted[carol].email,
                      "carol_download": _read(repo_id, "config.json", cache("c1"), token=carol_token).decode()}
    steps["errors"] = {
        "grant_twice": error_of(api.grant_access, repo_id, carol),
        "accept_accepted": error_of(api.accept_access_request, repo_id, carol),
        "reject_unknown_user": error_of(api.reject_access_request, repo_id, "no-such-user-x",
                                        rejection_reason=None),
    }
    api.reject_access_request(repo_id, carol, rejection_reason=None)
    steps["errors"]["reject_rejected"] = error_of(api.reject_access_request, repo_id, carol, rejection_reason=None)
    api.cancel_access_request(repo_id, carol)
    steps["errors"]["cancel_cancelled"] = error_of(api.cancel_access_request, repo_id, carol)
    return {"before": before, "steps": steps}


def likes(ctx: Any, prefix: str) -> dict:
    """unlike, list_repo_likers, list_liked_repos, likes in info and as a sort key."""
    api, bob = HfApi(), HfApi(token=ctx.other_token)
    bob_name = bob.whoami()["name"]
    ids = [f"{ctx.username}/{prefix}-{n}" for n in ("one", "two")]
    dataset = f"{ctx.username}/{prefix}-data"
    for repo in ids:
        api.create_repo(repo)
    api.create_repo(dataset, repo_type="dataset")
    http_bob, http_alice = _http(ctx, ctx.other_token), _http(ctx, ctx.token)
    liked = [http_bob.post(f"/api/models/{ids[1]}/like").status_code,
             http_alice.post(f"/api/models/{ids[1]}/like").status_code,
             http_bob.post(f"/api/models/{ids[0]}/like").status_code,
             http_bob.post(f"/api/datasets/{dataset}/like").status_code]
    mine = bob.list_liked_repos()
    result = {
        "liked": liked,
        "info_likes": [api.model_info(repo).likes for repo in ids],
        "likers": sorted(u.username for u in api.list_repo_likers(ids[1])),
        # The hub is shared by the modes' runs: bob's likes of other runs are left out (the total is checked whole).
        "liked_by_bob": {"user": mine.user, "models": sorted(m for m in mine.models if prefix in m),
                         "datasets": [d for d in mine.datasets if prefix in d],
                         "total_is_the_sum": mine.total == len(mine.models) + len(mine.datasets) + len(mine.spaces)},
        "liked_by_bob_anonymous": sorted(m for m in HfApi(token=False).list_liked_repos(bob_name).models
                                         if prefix in m),
        "by_likes": [m.id for m in api.list_models(search=prefix, sort="likes")],
        "by_trending": [(m.id, m.trending_score) for m in api.list_models(search=prefix, sort="trending_score")],
    }
    bob.unlike(ids[1])
    bob.unlike(ids[1])  # not liked any more: no error, no change
    result["after_unlike"] = {"likes": api.model_info(ids[1]).likes,
                              "likers": [u.username for u in api.list_repo_likers(ids[1])],
                              "bob_models": sorted(m for m in bob.list_liked_repos().models if prefix in m)}
    result["unlike_missing"] = error_of(bob.unlike, f"{ctx.username}/{prefix}-missing")
    return result


def downloads(ctx: Any, prefix: str) -> dict:
    """Downloads counted as the Hub counts them, in info and as the sort key."""
    api, bob = HfApi(), HfApi(token=ctx.other_token)
    popular, quiet = f"{ctx.username}/{prefix}-popular", f"{ctx.username}/{prefix}-quiet"
    dataset = f"{ctx.username}/{prefix}-data"
    for repo in (popular, quiet):
        api.create_repo(repo)
        api.upload_file(path_or_fileobj=b"{}\n", path_in_repo="config.json", repo_id=repo)
        api.upload_file(path_or_fileobj=b"weights", path_in_repo="model.safetensors", repo_id=repo)
    api.create_repo(dataset, repo_type="dataset")
    for name in ("train.csv", "test.csv"):
        api.upload_file(path_or_fileobj=b"a\n1\n", path_in_repo=name, repo_id=dataset, repo_type="dataset")
    start = {"popular": api.model_info(popular).downloads, "dataset": api.dataset_info(dataset).downloads}
    cache = f"{ctx.workdir}/dl-cache"
    hf_hub_download(popular, "config.json", cache_dir=cache)
    hf_hub_download(popular, "config.json", cache_dir=f"{cache}-2")  # again, same user, same window: one
    hf_hub_download(popular, "config.json", cache_dir=cache, token=ctx.other_token)
    snapshot_download(quiet, cache_dir=cache, token=ctx.other_token)
    hf_hub_download(quiet, "model.safetensors", cache_dir=f"{cache}-3")  # weights are not a query file
    snapshot_download(dataset, repo_type="dataset", cache_dir=cache)
    return {
        "start": start,
        "popular": [api.model_info(popular).downloads, api.model_info(popular, expand=["downloadsAllTime"])
                    .downloads_all_time],
        "quiet": api.model_info(quiet).downloads,
        "dataset": api.dataset_info(dataset).downloads,
        "by_downloads": [m.id for m in api.list_models(search=prefix, sort="downloads")],
        "listed": {m.id: m.downloads for m in api.list_models(search=prefix)},
    }


def profiles(ctx: Any, org: str, avatar: list[int]) -> dict:
    """A full name and an avatar set over the API show in whoami and the overviews; an org's full name too."""
    avatar = bytes(avatar)
    bob = HfApi(token=ctx.other_token)
    http_bob = _http(ctx, ctx.other_token)
    name = bob.whoami()["name"]
    assert http_bob.put("/api/auth/profile", json={"fullname": "Bob Builder"}).status_code == 200
    uploaded = http_bob.put(f"/api/users/{name}/avatar", content=avatar, headers={"Content-Type": "image/png"})
    assert http_bob.post("/org/create", json={"name": org}).status_code == 200
    assert http_bob.put(f"/api/organizations/{org}/settings", json={"fullname": "Builders Inc."}).status_code == 200
    me = bob.whoami()
    user = HfApi(token=False).get_user_overview(name)
    overview = HfApi(token=False).get_organization_overview(org)
    fetched = httpx.get(me["avatarUrl"])
    return {
        "uploaded": uploaded.status_code,
        "whoami": {"fullname": me["fullname"], "avatar_is_ours": me["avatarUrl"] == uploaded.json()["avatarUrl"],
                   "orgs": [[o["name"], o["fullname"]] for o in me["orgs"] if o["name"] == org]},
        "avatar": {"status": fetched.status_code, "type": fetched.headers["content-type"],
                   "same_bytes": fetched.content == avatar},
        "user_overview": {"fullname": user.fullname, "avatar_is_ours": user.avatar_url == me["avatarUrl"],
                          "num_likes": user.num_likes},
        "org_overview": {"fullname": overview.fullname, "name": overview.name},
    }
