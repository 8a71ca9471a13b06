"""Access is enforced where the data is written: a service's write methods refuse a read-authorized ref.

Routes ask ``RepoService.get`` for the access they need, and the ref they get carries what was granted.
These tests play the wrong route: they ask for read access as the repo's own owner (who could write) and
hand the ref to every write method. Each must raise ForbiddenError and change nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kohakuhub.errors import ForbiddenError
from kohakuhub.services.auth import Access
from kohakuhub.services.repos import RepoRef
from kohakuhub.types import RepoType
from tests.api.helpers import api, commit, create_repo, file_op, lfs_upload, sha256
from tests.conftest import HubClient

API_PACKAGE = Path(__file__).resolve().parents[2] / "kohakuhub" / "api"
DATA = b"D" * 4096


@pytest.fixture
def owned(hub_client: HubClient) -> HubClient:
    create_repo(hub_client.client, hub_client.token, "guarded")
    commit(hub_client.client, hub_client.token, f"{hub_client.username}/guarded", [file_op("a.txt", b"a")])
    resp = hub_client.client.post(f"{api(hub_client.username + '/guarded')}/branch/keep", headers=hub_client.auth())
    assert resp.status_code == 200, resp.text
    return hub_client


def _ref(hc: HubClient, need: Access) -> RepoRef:
    caller = hc.hub.accounts.caller_from_token(hc.token)
    return hc.hub.repos.get(caller, RepoType.MODEL, hc.username, "guarded", need)


def _state(hc: HubClient) -> tuple:
    ref = _ref(hc, Access.READ)
    return hc.hub.commits.refs(ref), ref.row.updated_at


def _write_attempts(hc: HubClient, ref: RepoRef) -> dict[str, object]:
    hub = hc.hub
    caller = hub.accounts.caller_from_token(hc.token)
    oid = lfs_upload(hc.client, hc.token, f"{hc.username}/guarded", DATA)
    return {
        "commit": lambda: hub.commits.begin(caller, ref, "main"),
        "preupload": lambda: hub.commits.preupload(ref, "main", [{"path": "p.txt", "size": 1}]),
        "create_branch": lambda: hub.commits.create_branch(ref, "new", None),
        "delete_branch": lambda: hub.commits.delete_branch(ref, "keep"),
        "create_tag": lambda: hub.commits.create_tag(caller, ref, "main", "v1", None),
        "delete_tag": lambda: hub.commits.delete_tag(ref, "v0"),
        "super_squash": lambda: hub.commits.super_squash(caller, ref, "keep", None),
        "git_receive_pack": lambda: hub.git.receive_pack(caller, ref, _no_body()),
        "git_advertise_receive_pack": lambda: hub.git.advertise(ref, "receive-pack", None),
        "lfs_batch_upload": lambda: hub.lfs.batch(caller, ref, "upload", [(sha256(b"new"), 3)]),
        "lfs_link": lambda: hub.lfs.link(ref, [oid]),
        "touch": lambda: hub.repos.touch(ref),
        "xet_write_token": lambda: hub.xet_tokens.issue(ref, caller.user_id, "write"),
    }


async def _no_body():
    yield b"0000"


WRITES = ["commit", "preupload", "create_branch", "create_tag", "delete_tag", "super_squash", "delete_branch",
          "git_receive_pack", "git_advertise_receive_pack", "lfs_batch_upload", "lfs_link", "touch",
          "xet_write_token"]


@pytest.mark.parametrize("write", WRITES)
def test_a_read_authorized_ref_cannot_write(owned: HubClient, write: str) -> None:
    owner_ref = _ref(owned, Access.WRITE)
    owned.hub.commits.create_tag(owned.hub.accounts.caller_from_token(owned.token), owner_ref, "main", "v0", None)
    read_ref = _ref(owned, Access.READ)
    attempts = _write_attempts(owned, read_ref)
    before = _state(owned)
    with pytest.raises(ForbiddenError, match="authorized for read access only"):
        attempts[write]()
    assert _state(owned) == before, f"{write} through a read-authorized ref changed the repo"


def test_the_same_calls_work_with_a_write_authorized_ref(owned: HubClient) -> None:
    # The refusals above are the access check, not a broken call: with write access each goes through.
    ref = _ref(owned, Access.WRITE)
    attempts = _write_attempts(owned, ref)
    for write in WRITES:
        if write in ("delete_tag", "git_receive_pack"):
            continue  # need a tag / a real pack; covered by their own tests
        attempts[write]()


def test_read_methods_accept_a_read_ref(owned: HubClient) -> None:
    ref = _ref(owned, Access.READ)
    hub = owned.hub
    assert "main" in hub.commits.refs(ref).branches
    commit_id = hub.files.resolve(ref, "main")
    assert [v.path for v in hub.files.tree(ref, commit_id, "", recursive=True, start_after=None, limit=10)[0]] == [
        ".gitattributes", "a.txt"]


def _content_reads(hc: HubClient, ref: RepoRef) -> dict[str, object]:
    """Every service method that hands out a repo's content: a gated repo's readers may not call them."""
    hub = hc.hub
    commit_id = hub.files.resolve(ref, "main")
    blob = hub.files.file(ref, commit_id, "a.txt").oid
    return {
        "read_small": lambda: hub.files.read_small(ref, blob),
        "lfs_batch_download": lambda: hub.lfs.batch(None, ref, "download", [(sha256(b"x"), 1)]),
        "xet_read_token": lambda: hub.xet_tokens.issue(ref, 0, "read"),
        "git_advertise_upload_pack": lambda: hub.git.advertise(ref, "upload-pack", None),
        "git_upload_pack": lambda: hub.git.upload_pack(ref, _no_body(), None),
        "commit_diff": lambda: hub.diffs.commit_diff(ref, commit_id),
        "compare": lambda: hub.diffs.compare(ref, commit_id, commit_id),
    }


CONTENT_READS = ["read_small", "lfs_batch_download", "xet_read_token", "git_advertise_upload_pack", "git_upload_pack",
                 "commit_diff", "compare"]


@pytest.mark.parametrize("read", CONTENT_READS)
def test_a_metadata_ref_cannot_read_content(owned: HubClient, read: str) -> None:
    """A route that asked for READ (metadata, all a gated repo's reader gets) cannot serve the content."""
    with pytest.raises(ForbiddenError, match="needs download access"):
        _content_reads(owned, _ref(owned, Access.READ))[read]()


def test_content_reads_work_with_a_download_ref(owned: HubClient) -> None:
    reads = _content_reads(owned, _ref(owned, Access.DOWNLOAD))
    assert reads["read_small"]() == b"a"
    assert reads["lfs_batch_download"]()[0].action == "error"  # an unknown object: 404
    assert reads["xet_read_token"]()[0].startswith("xet1.")
    for read in ("git_advertise_upload_pack", "git_upload_pack", "commit_diff", "compare"):
        assert reads[read]() is not None


def test_a_ref_without_read_access_cannot_exist(owned: HubClient) -> None:
    row = _ref(owned, Access.READ).row
    with pytest.raises(ValueError):
        RepoRef(row, Access.NONE)


def test_routes_never_build_a_ref_or_import_another_route() -> None:
    """A RepoRef comes only from RepoService.get, which checks the caller; routes are independent."""
    for path in sorted(API_PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RepoRef":
                pytest.fail(f"{path}:{node.lineno} builds a RepoRef itself")
            if path.parent.name == "routes" and isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("kohakuhub.api.routes"), \
                    f"{path}:{node.lineno} imports another route ({node.module})"
