"""Repo lifecycle, visibility, errors, move, squash (protocol sections 2.2, 2.3, 2.7, 7)."""

from __future__ import annotations

from typing import Any

from huggingface_hub import HfApi, hf_hub_download

from tests.e2e.scripts.common import error_of, file_sha256, http_error_of, random_file, sha256, workdir


def lifecycle(ctx: Any, model_id: str, dataset_id: str, space_id: str, private_id: str) -> dict:
    """create_repo of every type, repo_info, exists checks, refs, delete_repo."""
    api = HfApi()
    model_url = api.create_repo(model_id)
    dataset_url = api.create_repo(dataset_id, repo_type="dataset")
    space_url = api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=True)
    api.create_repo(private_id, private=True)
    info = api.repo_info(model_id)
    commits = api.list_repo_commits(model_id)
    refs = api.list_repo_refs(model_id)
    other = HfApi(token=ctx.other_token)
    result = {
        "urls": {"model": [str(model_url), model_url.repo_id, model_url.repo_type],
                 "dataset": [str(dataset_url), dataset_url.repo_id, dataset_url.repo_type],
                 "space": [str(space_url), space_url.repo_id, space_url.repo_type]},
        "exist_ok_url": str(api.create_repo(model_id, exist_ok=True)),
        "duplicate_error": error_of(api.create_repo, model_id),
        "info": {"id": info.id, "sha": info.sha, "private": info.private,
                 "siblings": [s.rfilename for s in info.siblings]},
        "commits": [{"id": c.commit_id, "title": c.title, "authors": c.authors} for c in commits],
        "refs": {"branches": [(b.name, b.target_commit) for b in refs.branches],
                 "tags": [t.name for t in refs.tags], "converts": list(refs.converts)},
        "dataset_info_id": api.dataset_info(dataset_id).id,
        "space_private": api.space_info(space_id).private,
        "private_private": api.repo_info(private_id).private,
        "exists": {
            "model": api.repo_exists(model_id),
            "dataset": api.repo_exists(dataset_id, repo_type="dataset"),
            "dataset_as_model": api.repo_exists(dataset_id),
            "space": api.repo_exists(space_id, repo_type="space"),
            "missing": api.repo_exists(f"{ctx.username}/does-not-exist-{ctx.mode}"),
            "private_owner": api.repo_exists(private_id),
            "private_anonymous": api.repo_exists(private_id, token=False),
            "private_other_user": other.repo_exists(private_id),
            "space_other_user": other.repo_exists(space_id, repo_type="space"),
            "public_anonymous": api.repo_exists(model_id, token=False),
            "public_other_user": other.repo_exists(model_id),
        },
    }
    # /datasets/... and /spaces/... URL families for commits and downloads.
    for repo_type, repo, name in (("dataset", dataset_id, "data.csv"), ("space", space_id, "app.py")):
        api.upload_file(path_or_fileobj=f"{repo_type} file\n".encode(), path_in_repo=name, repo_id=repo,
                        repo_type=repo_type)
        with open(hf_hub_download(repo, name, repo_type=repo_type, cache_dir=f"{ctx.workdir}/c")) as f:
            result[f"{repo_type}_download"] = f.read()
    api.delete_repo(dataset_id, repo_type="dataset")
    api.delete_repo(space_id, repo_type="space")
    result["after_delete"] = {
        "dataset_exists": api.repo_exists(dataset_id, repo_type="dataset"),
        "space_exists": api.repo_exists(space_id, repo_type="space"),
        "delete_again": error_of(api.delete_repo, dataset_id, repo_type="dataset"),
        "delete_missing_ok": error_of(api.delete_repo, dataset_id, repo_type="dataset", missing_ok=True),
        "recreate": str(api.create_repo(dataset_id, repo_type="dataset")),
    }
    return result


def private_access(ctx: Any, repo_id: str) -> dict:
    """A private repo is invisible to anonymous callers and to other users (RepositoryNotFoundError)."""
    api = HfApi()
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="secret.txt", repo_id=repo_id)
    other = HfApi(token=ctx.other_token)
    anonymous = HfApi(token=False)
    cache = f"{ctx.workdir}/private-cache"
    return {
        "owner_download": open(hf_hub_download(repo_id, "secret.txt", cache_dir=cache)).read(),
        "other": {
            "repo_info": error_of(other.repo_info, repo_id),
            "list_files": error_of(other.list_repo_files, repo_id),
            "download": error_of(hf_hub_download, repo_id, "secret.txt", token=ctx.other_token,
                                 cache_dir=f"{ctx.workdir}/other-cache"),
            "upload": error_of(other.upload_file, path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id),
            "delete": error_of(other.delete_repo, repo_id),
            "file_exists": other.file_exists(repo_id, "secret.txt"),
        },
        "anonymous": {
            "repo_info": error_of(anonymous.repo_info, repo_id),
            "download": error_of(hf_hub_download, repo_id, "secret.txt", token=False,
                                 cache_dir=f"{ctx.workdir}/anon-cache"),
            "file_exists": anonymous.file_exists(repo_id, "secret.txt"),
            "revision_exists": anonymous.revision_exists(repo_id, "main"),
        },
    }


def errors(ctx: Any, repo_id: str) -> dict:
    """RepositoryNotFoundError, RevisionNotFoundError and EntryNotFoundError from API calls and downloads."""
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub import errors as hf_errors

    api = HfApi()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"x\n", path_in_repo="dir/x.txt", repo_id=repo_id)
    missing_repo = f"{ctx.username}/no-such-repo-{ctx.mode}"
    cache = f"{ctx.workdir}/errors-cache"
    observed = {
        "missing_repo_info": error_of(api.repo_info, missing_repo),
        "missing_repo_download": error_of(hf_hub_download, missing_repo, "x.txt", cache_dir=cache),
        "missing_repo_tree": error_of(lambda: list(api.list_repo_tree(missing_repo))),
        "missing_repo_upload": error_of(api.upload_file, path_or_fileobj=b"x", path_in_repo="x",
                                        repo_id=missing_repo),
        "bad_revision_info": error_of(api.repo_info, repo_id, revision="nope"),
        "bad_revision_download": error_of(hf_hub_download, repo_id, "dir/x.txt", revision="nope",
                                          cache_dir=cache),
        "bad_revision_tree": error_of(lambda: list(api.list_repo_tree(repo_id, revision="nope"))),
        "bad_revision_commits": error_of(api.list_repo_commits, repo_id, revision="nope"),
        "bad_revision_upload": error_of(api.upload_file, path_or_fileobj=b"x", path_in_repo="x",
                                        repo_id=repo_id, revision="nope"),
        "missing_file_download": error_of(hf_hub_download, repo_id, "dir/missing.txt", cache_dir=cache),
        "missing_folder_tree": error_of(lambda: list(api.list_repo_tree(repo_id, path_in_repo="nodir"))),
        "file_as_folder_tree": error_of(lambda: list(api.list_repo_tree(repo_id, path_in_repo="dir/x.txt"))),
        "delete_missing_file": error_of(api.delete_file, "dir/missing.txt", repo_id),
        "delete_missing_folder": error_of(api.delete_folder, "nodir", repo_id),
    }
    head = api.repo_info(repo_id).sha
    observed["http"] = {
        "duplicate_repo": http_error_of(api.create_repo, repo_id),
        "stale_parent": http_error_of(api.create_commit, repo_id, commit_message="stale",
                                      operations=[CommitOperationAdd("y.txt", b"y")], parent_commit=head[:7] + "0" * 33),
        "bad_path": http_error_of(api.create_commit, repo_id, commit_message="bad",
                                  operations=[CommitOperationAdd("..\\ddd", b"x")]),
        "branch_exists": http_error_of(api.create_branch, repo_id, branch="main"),
        "invalid_token": http_error_of(HfApi(token="khub_not-a-valid-token").repo_info, repo_id),
        "missing_repo_preupload": http_error_of(api.upload_file, path_or_fileobj=b"x", path_in_repo="x",
                                                repo_id=missing_repo),
    }
    try:
        hf_hub_download(repo_id, "dir/missing.txt", cache_dir=cache)
    except hf_errors.EntryNotFoundError as exc:
        observed["missing_file_is_remote_entry"] = isinstance(exc, hf_errors.RemoteEntryNotFoundError)
    try:
        api.repo_info(missing_repo)
    except hf_errors.RepositoryNotFoundError as exc:
        observed["missing_repo_message"] = str(exc)
    return observed


def move(ctx: Any, repo_id: str, new_id: str, big_size: int) -> dict:
    """move_repo keeps history; the old id still resolves (redirect) for downloads and API calls."""
    api = HfApi()
    api.create_repo(repo_id)
    commit = api.upload_file(path_or_fileobj=b"moved content\n", path_in_repo="a/file.txt", repo_id=repo_id)
    api.move_repo(repo_id, new_id)
    info = api.repo_info(new_id)
    # Writing through the old id follows the redirect too, including the LFS batch URL ({id}.git/...).
    big_path = workdir(ctx, "move") / "big.dat"
    big = random_file(big_path, big_size)
    after = api.upload_file(path_or_fileobj=str(big_path), path_in_repo="after-move.dat", repo_id=repo_id)
    return {
        "commit": commit.oid,
        "new_sha": info.sha,
        "new_id": info.id,
        "after_move_commit": after.oid,
        "after_move_sha": api.repo_info(new_id).sha,
        "after_move_download_ok": file_sha256(hf_hub_download(repo_id, "after-move.dat",
                                                              cache_dir=f"{ctx.workdir}/c3")) == sha256(big),
        "new_files": api.list_repo_files(new_id),
        "old_info_id": api.repo_info(repo_id).id,
        "old_download": open(hf_hub_download(repo_id, "a/file.txt", cache_dir=f"{ctx.workdir}/c1")).read(),
        "new_download": open(hf_hub_download(new_id, "a/file.txt", cache_dir=f"{ctx.workdir}/c2")).read(),
        "old_exists": api.repo_exists(repo_id),
        "move_onto_existing": _move_onto_existing(api, new_id),
    }


def _move_onto_existing(api: HfApi, repo_id: str) -> str:
    taken = f"{repo_id}-taken"
    api.create_repo(taken)
    try:
        api.move_repo(repo_id, taken)
    except Exception as exc:  # noqa: BLE001 - the message is the observation
        return f"{type(exc).__name__}: {exc}"
    return "moved"


def squash(ctx: Any, repo_id: str) -> dict:
    """super_squash_history leaves one commit with the same files."""
    api = HfApi()
    api.create_repo(repo_id)
    for i in range(3):
        api.upload_file(path_or_fileobj=f"v{i}\n".encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id,
                        commit_message=f"commit {i}")
    api.create_tag(repo_id, tag="v1")
    before = [c.commit_id for c in api.list_repo_commits(repo_id)]
    files_before = sorted(api.list_repo_files(repo_id))
    api.super_squash_history(repo_id, commit_message="squashed")
    after = api.list_repo_commits(repo_id)
    info = api.repo_info(repo_id)
    return {
        "before": before,
        "after": [{"id": c.commit_id, "title": c.title, "authors": c.authors} for c in after],
        "sha": info.sha,
        "files_before": files_before,
        "files_after": sorted(api.list_repo_files(repo_id)),
        "content": open(hf_hub_download(repo_id, "f2.txt", cache_dir=f"{ctx.workdir}/c")).read(),
        "squash_tag": error_of(api.super_squash_history, repo_id, branch="v1"),
        "squash_missing": error_of(api.super_squash_history, repo_id, branch="nope"),
    }
