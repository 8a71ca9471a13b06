"""Who may clone and push over git smart HTTP (issue 3, items 4 and 5), checked with real git and raw HTTP."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from tests.git.conftest import Git, GitHub

CHALLENGE = 'Basic realm="KohakuHub"'
UPLOAD = "service=git-upload-pack"
RECEIVE = "service=git-receive-pack"


def info_refs(hub: GitHub, repo_id: str, service: str, token: str | None = None, *,
              user: str = "git") -> httpx.Response:
    auth = (user, token) if token else None
    return httpx.get(f"{hub.url}/{repo_id}.git/info/refs?{service}", auth=auth, timeout=30)


def rpc(hub: GitHub, repo_id: str, service: str, token: str | None = None) -> httpx.Response:
    """A POST to git-upload-pack or git-receive-pack with a bare flush as its body."""
    auth = ("git", token) if token else None
    return httpx.post(f"{hub.url}/{repo_id}.git/{service}", content=b"0000", auth=auth, timeout=30,
                      headers={"Content-Type": f"application/x-{service}-request"})


def assert_challenge(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers.get("www-authenticate") == CHALLENGE


def repo_with_file(hub: GitHub, *, private: bool = False) -> tuple[str, str]:
    repo_id = hub.new_repo(private=private)
    info = hub.api().upload_file(path_or_fileobj=b"secret\n", path_in_repo="a.txt", repo_id=repo_id)
    return repo_id, info.oid


def commit_file(git: Git, work: Path, name: str, data: bytes = b"x\n") -> str:
    (work / name).write_bytes(data)
    git.run("add", name, cwd=work)
    git.run("commit", "-q", "-m", f"add {name}", cwd=work)
    return git.out("rev-parse", "HEAD", cwd=work)


def test_private_repo_needs_credentials(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, head = repo_with_file(git_hub, private=True)
    assert_challenge(info_refs(git_hub, repo_id, UPLOAD))
    assert_challenge(rpc(git_hub, repo_id, "git-upload-pack"))
    # A wrong token is a 401 too (git asks again), never a 404 that would end the conversation.
    assert_challenge(info_refs(git_hub, repo_id, UPLOAD, "hf_not-a-real-token"))

    anonymous = git.run("clone", git_hub.remote(repo_id, ""), str(tmp_path / "anon"), check=False)
    assert anonymous.returncode != 0
    assert "Authentication failed" in anonymous.stderr or "could not read Username" in anonymous.stderr, \
        anonymous.stderr
    assert not (tmp_path / "anon").exists()
    wrong = git.run("clone", git_hub.remote(repo_id, "hf_not-a-real-token"), str(tmp_path / "wrong"),
                    check=False)
    assert wrong.returncode != 0 and "Authentication failed" in wrong.stderr, wrong.stderr

    # Basic auth: any username, a hub token as the password (write or read-only).
    host = git_hub.url.removeprefix("http://")
    for user, token in (("alice", git_hub.server.token), ("whoever-at-all", git_hub.alice_read_token)):
        work = tmp_path / f"as-{user}"
        git.run("clone", f"http://{user}:{token}@{host}/{repo_id}", str(work))
        assert git.out("rev-parse", "HEAD", cwd=work) == head
        assert (work / "a.txt").read_bytes() == b"secret\n"
    assert info_refs(git_hub, repo_id, UPLOAD, git_hub.alice_read_token, user="").status_code == 200


def test_missing_repo_looks_like_private_to_anonymous_and_404_to_users(git_hub: GitHub, git: Git) -> None:
    private_id, _ = repo_with_file(git_hub, private=True)
    missing_id = "alice/g-does-not-exist"
    for service in (UPLOAD, RECEIVE):
        private, missing = info_refs(git_hub, private_id, service), info_refs(git_hub, missing_id, service)
        assert_challenge(private)
        assert_challenge(missing)
        assert private.text == missing.text  # nothing tells the two apart
    assert_challenge(rpc(git_hub, missing_id, "git-upload-pack"))
    assert_challenge(rpc(git_hub, missing_id, "git-receive-pack"))

    for service in (UPLOAD, RECEIVE):
        # Bob cannot read alice's private repo: for him it does not exist.
        for repo_id in (missing_id, private_id):
            response = info_refs(git_hub, repo_id, service, git_hub.bob_token)
            assert response.status_code == 404, (repo_id, service, response.status_code, response.text)
            assert "www-authenticate" not in response.headers
        assert info_refs(git_hub, missing_id, service, git_hub.server.token).status_code == 404
    assert rpc(git_hub, private_id, "git-upload-pack", git_hub.bob_token).status_code == 404
    assert rpc(git_hub, private_id, "git-receive-pack", git_hub.bob_token).status_code == 404

    for repo_id in (missing_id, private_id):
        result = git.run("ls-remote", git_hub.remote(repo_id, git_hub.bob_token), check=False)
        assert result.returncode != 0 and "not found" in result.stderr, result.stderr


def test_push_needs_write_access(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, _ = repo_with_file(git_hub)  # public: everybody may clone it
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id, ""), str(work))
    commit_file(git, work, "pushed.txt")
    git.run("branch", "feature", cwd=work)
    before = git_hub.refs(repo_id)

    # Anonymous: a Basic challenge on both the advertisement and the RPC, and git gives up without a prompt.
    assert_challenge(info_refs(git_hub, repo_id, RECEIVE))
    assert_challenge(rpc(git_hub, repo_id, "git-receive-pack"))
    anonymous = git.run("push", git_hub.remote(repo_id, ""), "main", "feature", cwd=work, check=False)
    assert anonymous.returncode != 0
    assert "Authentication failed" in anonymous.stderr or "could not read Username" in anonymous.stderr, \
        anonymous.stderr

    # Bob may read but not write; alice's read-only token may read but not write.
    for token in (git_hub.bob_token, git_hub.alice_read_token):
        assert info_refs(git_hub, repo_id, UPLOAD, token).status_code == 200
        response = info_refs(git_hub, repo_id, RECEIVE, token)
        assert response.status_code == 403, (response.status_code, response.text)
        assert "www-authenticate" not in response.headers
        assert rpc(git_hub, repo_id, "git-receive-pack", token).status_code == 403
        result = git.run("push", git_hub.remote(repo_id, token), "main", "feature",
                         "refs/heads/main:refs/tags/t", cwd=work, check=False)
        assert result.returncode != 0 and "403" in result.stderr, result.stderr
    assert git_hub.refs(repo_id) == before

    # The same push with alice's write token goes through: the failures above were about access only.
    git.run("push", git_hub.remote(repo_id), "main", cwd=work)
    assert git_hub.refs(repo_id)["refs/heads/main"] == git.out("rev-parse", "HEAD", cwd=work)


def test_tokens_never_reach_the_server_log(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, _ = repo_with_file(git_hub, private=True)
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id), str(work))
    commit_file(git, work, "b.txt")
    git.run("push", git_hub.remote(repo_id), "main", cwd=work)
    git.run("push", git_hub.remote(repo_id, git_hub.alice_read_token), "main:other", cwd=work, check=False)
    git.run("push", git_hub.remote(repo_id, git_hub.bob_token), "main:other", cwd=work, check=False)
    git.run("push", git_hub.remote(repo_id), "HEAD:refs/notes/x", cwd=work, check=False)  # hub says no
    git.run("ls-remote", git_hub.remote(repo_id, "hf_wrong-token-1234567890"), check=False)
    git.run("fetch", git_hub.remote(repo_id, git_hub.alice_read_token), cwd=work)
    httpx.get(f"{git_hub.url}/{repo_id}.git/info/refs?{UPLOAD}", timeout=30,
              headers={"Authorization": f"Bearer {git_hub.server.token}"})

    log = git_hub.log_path.read_text(errors="replace")
    assert f"/{repo_id}.git/git-receive-pack" in log  # the right log, with this test's requests in it
    secrets = [git_hub.server.token, git_hub.alice_read_token, git_hub.bob_token, "hf_wrong-token-1234567890"]
    for secret in secrets:
        for form in (secret, base64.b64encode(f"git:{secret}".encode()).decode()):
            assert form not in log, f"a token appears in {git_hub.log_path}"


def test_deleted_repo_is_gone_from_git_at_once(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, _ = repo_with_file(git_hub)
    git.run("ls-remote", git_hub.remote(repo_id, ""))
    git_hub.api().delete_repo(repo_id)

    assert info_refs(git_hub, repo_id, UPLOAD, git_hub.server.token).status_code == 404
    assert info_refs(git_hub, repo_id, RECEIVE, git_hub.server.token).status_code == 404
    assert rpc(git_hub, repo_id, "git-upload-pack", git_hub.server.token).status_code == 404
    assert_challenge(info_refs(git_hub, repo_id, UPLOAD))
    result = git.run("clone", git_hub.remote(repo_id), str(tmp_path / "c"), check=False)
    assert result.returncode != 0 and "not found" in result.stderr, result.stderr


def test_moved_repo_old_url_redirects_and_new_url_clones(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    old_id, head = repo_with_file(git_hub)
    new_id = old_id + "-moved"
    git_hub.api().move_repo(old_id, new_id)

    work = tmp_path / "new"
    git.run("clone", git_hub.remote(new_id, ""), str(work))
    assert git.out("rev-parse", "HEAD", cwd=work) == head == git_hub.api().repo_info(new_id).sha

    response = httpx.get(f"{git_hub.url}/{old_id}.git/info/refs?{UPLOAD}", timeout=30)
    assert response.status_code == 307, (response.status_code, response.text)
    assert response.headers["location"] == f"{git_hub.url}/{new_id}.git/info/refs?{UPLOAD}"
    old = tmp_path / "old"  # git follows the redirect of its first request and keeps the new base URL
    result = git.run("clone", git_hub.remote(old_id, ""), str(old))
    assert "redirecting to" in result.stderr and new_id in result.stderr, result.stderr
    assert git.out("rev-parse", "HEAD", cwd=old) == head
    # Pushing to the new URL works too.
    commit_file(git, work, "after-move.txt")
    git.run("push", git_hub.remote(new_id), "main", cwd=work)
    assert git_hub.api().repo_info(new_id).sha == git.out("rev-parse", "HEAD", cwd=work)


@pytest.mark.parametrize("prefix,repo_type", [("datasets/", "dataset"), ("spaces/", "space")])
def test_private_dataset_and_space_need_credentials(git_hub: GitHub, git: Git, tmp_path: Path, prefix: str,
                                                    repo_type: str) -> None:
    repo_id = git_hub.new_repo(private=True, repo_type=repo_type)
    response = httpx.get(f"{git_hub.url}/{prefix}{repo_id}/info/refs?{UPLOAD}", timeout=30)
    assert_challenge(response)
    response = httpx.get(f"{git_hub.url}/{prefix}{repo_id}/info/refs?{UPLOAD}", auth=("x", git_hub.bob_token),
                         timeout=30)
    assert response.status_code == 404
    # The same name without the prefix is a (missing) model repo, not the dataset or space.
    response = httpx.get(f"{git_hub.url}/{repo_id}/info/refs?{UPLOAD}", auth=("x", git_hub.server.token),
                         timeout=30)
    assert response.status_code == 404
    git.run("clone", git_hub.remote(repo_id, git_hub.alice_read_token, prefix=prefix), str(tmp_path / "c"))
