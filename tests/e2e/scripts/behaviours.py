"""The rest of the Hub's behaviour the client relies on (issue 16, item 6), through the stock client."""

from __future__ import annotations

from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download

from tests.e2e.scripts.common import error_of, http_error_of, workdir


def one_part_ids(ctx: Any, name: str) -> dict:
    """Every client method family on a repo id without a namespace: the client's not-found error."""
    api = HfApi()
    anonymous = HfApi(token=False)
    cache = str(workdir(ctx, "one-part-cache"))
    calls = {
        "model_info": lambda a: a.model_info(name),
        "dataset_info": lambda a: a.dataset_info(name),
        "space_info": lambda a: a.space_info(name),
        "repo_info_revision": lambda a: a.repo_info(name, revision="v1"),
        "list_repo_files": lambda a: a.list_repo_files(name),
        "list_repo_tree": lambda a: list(a.list_repo_tree(name, path_in_repo="sub")),
        "get_paths_info": lambda a: a.get_paths_info(name, ["a.txt"]),
        "list_repo_refs": lambda a: a.list_repo_refs(name),
        "list_repo_commits": lambda a: a.list_repo_commits(name),
        "create_branch": lambda a: a.create_branch(name, branch="dev"),
        "delete_branch": lambda a: a.delete_branch(name, branch="dev"),
        "create_tag": lambda a: a.create_tag(name, tag="v1"),
        "delete_tag": lambda a: a.delete_tag(name, tag="v1"),
        "super_squash_history": lambda a: a.super_squash_history(name),
        "upload_file": lambda a: a.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=name),
        "create_commit": lambda a: a.create_commit(name, operations=[CommitOperationAdd("y.txt", b"y")],
                                                   commit_message="one part"),
        "delete_file": lambda a: a.delete_file("x.txt", name),
        "update_repo_settings": lambda a: a.update_repo_settings(name, private=True),
        "auth_check": lambda a: a.auth_check(name),
        "list_lfs_files": lambda a: list(a.list_lfs_files(name)),
        "hf_hub_download": lambda a: hf_hub_download(name, "config.json", cache_dir=cache, token=a.token),
        "dataset_download": lambda a: hf_hub_download(name, "data.csv", repo_type="dataset", cache_dir=cache,
                                                      token=a.token),
        "snapshot_download": lambda a: snapshot_download(name, cache_dir=cache, token=a.token),
        "get_hf_file_metadata": lambda a: a.get_hf_file_metadata(url=f"{ctx.endpoint}/{name}/resolve/main/x.txt"),
    }
    observed: dict[str, Any] = {}
    for label, caller in (("signed_in", api), ("anonymous", anonymous)):
        observed[label] = {key: error_of(call, caller) for key, call in calls.items()}
        observed[label]["repo_exists"] = caller.repo_exists(name)
        observed[label]["file_exists"] = caller.file_exists(name, "config.json")
        observed[label]["revision_exists"] = caller.revision_exists(name, "main")
    observed["status"] = http_error_of(api.model_info, name)["status"]
    observed["anonymous_status"] = http_error_of(anonymous.model_info, name)["status"]
    # create_repo and delete_repo take a one-part id as "in the caller's namespace", as on the Hub.
    url = api.create_repo(name)
    observed["created"] = url.repo_id
    api.delete_repo(name)
    observed["deleted_exists"] = api.repo_exists(f"{ctx.username}/{name}")
    return observed


def gitignore(ctx: Any, repo_a: str, repo_b: str, big_size: int) -> dict:
    """upload_folder and create_commit skip what the repo's .gitignore (or the one being uploaded) ignores."""
    from tests.e2e.scripts.common import random_file

    api = HfApi()
    folder = workdir(ctx, "ignore-src")
    random_file(folder / "nested" / "big.bin", big_size)
    (folder / "nested" / "small.txt").write_text("ignored too\n")
    (folder / "kept.txt").write_text("kept\n")
    (folder / "debug.log").write_text("log\n")
    api.create_repo(repo_a)
    api.upload_file(path_or_fileobj=b"nested/*\n", path_in_repo=".gitignore", repo_id=repo_a)
    ctx.take_requests()
    api.upload_folder(folder_path=str(folder), repo_id=repo_a)
    upload_a = ctx.take_requests()
    observed: dict[str, Any] = {"a_files": sorted(api.list_repo_files(repo_a)), "a_requests": upload_a}
    # The .gitignore arrives with the folder: its rules apply to the same commit.
    (folder / ".gitignore").write_text("nested/*\n*.log\n")
    api.create_repo(repo_b)
    api.upload_folder(folder_path=str(folder), repo_id=repo_b)
    observed["b_files"] = sorted(api.list_repo_files(repo_b))
    api.create_commit(repo_b, commit_message="more", operations=[
        CommitOperationAdd("late.log", b"ignored\n"), CommitOperationAdd("late.txt", b"kept\n")])
    observed["b_after_commit"] = sorted(api.list_repo_files(repo_b))
    return observed


def folders_and_texts(ctx: Any, repo_id: str) -> dict:
    """delete_folder without a trailing slash, paths with backslashes, and the Hub's error texts."""
    from huggingface_hub import CommitOperationDelete

    api = HfApi()
    api.create_repo(repo_id)
    api.create_commit(repo_id, commit_message="tree", operations=[
        CommitOperationAdd("sub/a.txt", b"a"), CommitOperationAdd("sub/deep/b.txt", b"b"),
        CommitOperationAdd("subway.txt", b"s"), CommitOperationAdd("other/c.txt", b"c")])
    observed: dict[str, Any] = {}
    api.delete_folder("sub", repo_id)
    observed["after_delete_folder"] = sorted(api.list_repo_files(repo_id))
    api.create_commit(repo_id, commit_message="folder op", operations=[CommitOperationDelete("other", is_folder=True)])
    observed["after_folder_op"] = sorted(api.list_repo_files(repo_id))
    observed["delete_folder_missing"] = http_error_of(api.delete_folder, "nope", repo_id)
    observed["delete_file_is_folder"] = http_error_of(api.delete_file, "subway.txt/", repo_id)
    # Backslashes: an ordinary character; "..\" refused with 422 before anything is uploaded.
    api.upload_file(path_or_fileobj=b"win\n", path_in_repo="dir\\file.txt", repo_id=repo_id)
    observed["backslash_download"] = open(hf_hub_download(repo_id, "dir\\file.txt",
                                                          cache_dir=str(workdir(ctx, "bs")))).read()
    observed["dotdot_backslash"] = http_error_of(api.upload_file, path_or_fileobj=b"x", path_in_repo="..\\ddd",
                                                 repo_id=repo_id)
    # Branches and tags.
    api.create_branch(repo_id, branch="cool-branch")
    observed["branch_twice"] = http_error_of(api.create_branch, repo_id, branch="cool-branch")
    observed["branch_main"] = http_error_of(api.create_branch, repo_id, branch="main")
    api.create_branch(repo_id, branch="cool-branch", exist_ok=True)
    observed["branch_refs_pr"] = http_error_of(api.create_branch, repo_id, branch="refs/pr/5")
    observed["delete_main"] = http_error_of(api.delete_branch, repo_id, branch="main")
    observed["delete_missing_branch"] = http_error_of(api.delete_branch, repo_id, branch="missing-branch")
    api.create_tag(repo_id, tag="cool-tag")
    observed["delete_tag_as_branch"] = http_error_of(api.delete_branch, repo_id, branch="cool-tag")
    api.create_branch(repo_id, branch="cool-tag")  # a branch may share a tag's name
    observed["tag_twice"] = http_error_of(api.create_tag, repo_id, tag="cool-tag")
    api.create_tag(repo_id, tag="cool-tag", exist_ok=True)
    observed["tag_missing_revision"] = http_error_of(api.create_tag, repo_id, tag="invalid tag", revision="foobar")
    observed["tag_invalid_name"] = http_error_of(api.create_tag, repo_id, tag="invalid tag")
    api.delete_tag(repo_id, tag="cool-tag")
    observed["deleted_tag_info"] = error_of(api.model_info, repo_id, revision="cool-tag-gone")
    observed["delete_tag_missing"] = http_error_of(api.delete_tag, repo_id, tag="v0")
    observed["bad_revision_info"] = http_error_of(api.model_info, repo_id, revision="nope")
    observed["branches"] = sorted(b.name for b in api.list_repo_refs(repo_id).branches)
    return observed


def cards(ctx: Any, repo_id: str) -> dict:
    """Card metadata validation: the client's pre-commit check, RepoCard.validate, and the hub's own refusal."""
    import warnings

    from huggingface_hub import CommitOperationCopy, ModelCard, SpaceCard

    api = HfApi()
    api.create_repo(repo_id)
    observed: dict[str, Any] = {}
    ctx.take_requests()
    try:
        api.create_commit(repo_id, commit_message="bad card", operations=[
            CommitOperationAdd("README.md", b"---\nmodel-index: foo\n---\n# card\n"),
            CommitOperationAdd("file.txt", b"content")])
    except ValueError as exc:
        observed["invalid_commit"] = str(exc)
    observed["invalid_commit_requests"] = ctx.take_requests()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.create_commit(repo_id, commit_message="no metadata", operations=[
            CommitOperationAdd("README.md", b"This is a modelcard without metadata")])
    observed["empty_warnings"] = [str(w.message) for w in caught if "README.md" in str(w.message)]
    card = ModelCard("---\nlicense: mit\n---\n# fine\n")
    card.validate()
    card.data.license = "asdf"
    observed["card_validate"] = error_text(card.validate)
    observed["space_validate"] = error_text(SpaceCard("---\ncolorFrom: orange\n---\n").validate)
    ModelCard("---\nlicense: apache-2.0\ntags: [e2e]\n---\n# pushed\n").push_to_hub(repo_id)
    observed["card_data"] = api.model_info(repo_id).card_data.to_dict()
    # A copy is not checked by the client: the hub refuses it itself.
    api.upload_file(path_or_fileobj=b"---\nlicense: asdf\n---\n", path_in_repo="docs/bad.md", repo_id=repo_id)
    observed["copy_refused"] = http_error_of(api.create_commit, repo_id, commit_message="copy", operations=[
        CommitOperationCopy(src_path_in_repo="docs/bad.md", path_in_repo="README.md")])
    observed["readme_after"] = open(hf_hub_download(repo_id, "README.md", cache_dir=str(workdir(ctx, "card")))).read()
    return observed


def error_text(fn: Any) -> str | None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the message is the observation
        return f"{type(exc).__name__}: {exc}"
    return None


def moved_private(ctx: Any, repo_id: str, new_id: str, big_size: int) -> dict:
    """A private repo's old id keeps working for its owner on every read; others get not-found."""
    from tests.e2e.scripts.common import file_sha256, random_file, sha256

    api = HfApi()
    api.create_repo(repo_id, private=True)
    big = random_file(workdir(ctx, "moved") / "big.bin", big_size)
    api.upload_file(path_or_fileobj=str(workdir(ctx, "moved") / "big.bin"), path_in_repo="w/big.bin", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"hello\n", path_in_repo="w/a.txt", repo_id=repo_id)
    api.move_repo(repo_id, new_id)
    other = HfApi(token=ctx.other_token)
    snapshot = snapshot_download(repo_id, cache_dir=str(workdir(ctx, "moved-snap")))
    return {
        "info_id": api.model_info(repo_id).id,
        "files": sorted(api.list_repo_files(repo_id)),
        "tree": sorted(e.path for e in api.list_repo_tree(repo_id, path_in_repo="w")),
        "paths_info": sorted(e.path for e in api.get_paths_info(repo_id, ["w/a.txt", "w/big.bin"])),
        "commits": len(api.list_repo_commits(repo_id)),
        "download_ok": file_sha256(hf_hub_download(repo_id, "w/big.bin",
                                                   cache_dir=str(workdir(ctx, "moved-dl")))) == sha256(big),
        "snapshot_text": open(f"{snapshot}/w/a.txt").read(),
        "exists": api.repo_exists(repo_id),
        "file_exists": api.file_exists(repo_id, "w/a.txt"),
        "other_info": error_of(other.model_info, repo_id),
        "other_download": error_of(hf_hub_download, repo_id, "w/a.txt", token=ctx.other_token,
                                   cache_dir=str(workdir(ctx, "moved-other"))),
        "anonymous_exists": HfApi(token=False).repo_exists(repo_id),
    }


def lfs_files(ctx: Any, repo_id: str, other_id: str, big_size: int) -> dict:
    """huggingface_hub's own scenario: list LFS files, delete those on main, the branch's one remains."""
    from huggingface_hub import errors as hf_errors

    from tests.e2e.scripts.common import random_file

    api = HfApi()
    api.create_repo(repo_id)
    api.create_repo(other_id)
    folder = workdir(ctx, "lfs-files")
    paths = {}
    for name in ("lfs_file.bin", "lfs_file_2.bin", "lfs_file_branch.bin"):
        random_file(folder / name, big_size)
        paths[name] = str(folder / name)
    api.upload_file(path_or_fileobj=paths["lfs_file.bin"], path_in_repo="lfs_file.bin", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"TXT content", path_in_repo="txt_file.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=paths["lfs_file_2.bin"], path_in_repo="lfs_file_2.bin", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"TXT content 2", path_in_repo="txt_file_2.txt", repo_id=repo_id)
    api.create_branch(repo_id=repo_id, branch="my-branch")
    api.upload_file(path_or_fileobj=paths["lfs_file_branch.bin"], path_in_repo="lfs_file_branch.bin",
                    repo_id=repo_id, revision="my-branch")
    api.upload_file(path_or_fileobj=paths["lfs_file.bin"], path_in_repo="shared.bin", repo_id=other_id)
    listed = list(api.list_lfs_files(repo_id=repo_id))
    observed: dict[str, Any] = {
        "listed": sorted(f.filename for f in listed),
        "refs": {f.filename: f.ref for f in listed},
        "sizes": sorted({f.size for f in listed}),
    }
    on_main = [f for f in listed if f.ref in ("main", "refs/heads/main")]
    api.permanently_delete_lfs_files(repo_id=repo_id, lfs_files=on_main)
    observed["after"] = sorted(f.filename for f in api.list_lfs_files(repo_id=repo_id))
    observed["files"] = sorted(api.list_repo_files(repo_id=repo_id))
    observed["branch_files"] = sorted(api.list_repo_files(repo_id=repo_id, revision="my-branch"))
    observed["download"] = error_of(api.hf_hub_download, repo_id=repo_id, filename="lfs_file.bin",
                                    cache_dir=str(workdir(ctx, "lfs-dl")))
    observed["not_found_is_entry"] = isinstance(_raised(api.hf_hub_download, repo_id=repo_id, filename="lfs_file.bin",
                                                        cache_dir=str(workdir(ctx, "lfs-dl2"))),
                                                hf_errors.EntryNotFoundError)
    shared = api.hf_hub_download(repo_id=other_id, filename="shared.bin", cache_dir=str(workdir(ctx, "lfs-other")))
    observed["shared_still_readable"] = open(shared, "rb").read() == open(paths["lfs_file.bin"], "rb").read()
    observed["other_by_bob"] = error_of(lambda: list(HfApi(token=ctx.other_token).list_lfs_files(repo_id)))
    return observed


def _raised(fn: Any, **kwargs: Any) -> Exception | None:
    try:
        fn(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the exception is the observation
        return exc
    return None
