"""The lakeFS mirror's queue and replay, driven by real hub operations (issue 18, items 1 and 2).

The hub, its database (SQLite or PostgreSQL), its git repositories and its blob store (local or MinIO) are
real; lakeFS is the in-memory MirrorTarget of tests/lakefs_memory.py, because no lakeFS server can be built
on this workplace (see that module). Every test compares the mirror with the hub's git history: at each
mirrored commit, the lakeFS tree has the hub's paths with the hub's bytes (sha256 of every file).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from kohakuhub.db import lakefs_mirror as queue_db
from kohakuhub.lakefs.base import COMMIT_KEY, repository_name
from kohakuhub.lib.lfs_pointer import parse_pointer
from kohakuhub.services.lakefs_mirror import LakefsMirrorService, backoff
from kohakuhub.services.lakefs_replay import LfsSource
from tests.api.helpers import (
    NDJSON,
    api,
    bearer,
    commit,
    create_repo,
    file_op,
    head,
    lfs_op,
    lfs_upload,
    ndjson,
    sha256,
)
from tests.lakefs_memory import MemoryLakefs
from tests.s3_support import s3_settings
from tests.servers.minio import MIN_PART_SIZE


class Mirror:
    """A hub with a lakeFS mirror attached the way build_hub attaches it (a ref listener).

    ``linked_prefix`` (``s3://bucket/``): lakeFS shares the hub's S3 bucket, so LFS files are linked.
    """

    def __init__(self, hub_client, linked_prefix: str | None = None) -> None:
        self.hc = hub_client
        self.hub = hub_client.hub
        self.git = self.hub.commits.versioning
        self.lakefs = MemoryLakefs()
        self.linked_prefix = linked_prefix
        self.service = LakefsMirrorService(self.git, self.lakefs,
                                           LfsSource(self.hub.lfs.object_key, self.hub.lfs.store, linked_prefix))
        self.git.add_ref_listener(self.service.note)

    def key(self, repo_id: str, repo_type: str = "model") -> str:
        return queue_db.repo_key_of(f"{repo_type}/{repo_id}")

    def post(self, path: str, **kwargs):
        resp = self.hc.client.post(path, headers=bearer(self.hc.token), **kwargs)
        assert resp.status_code == 200, resp.text
        return resp

    def delete(self, path: str):
        resp = self.hc.client.delete(path, headers=bearer(self.hc.token))
        assert resp.status_code == 200, resp.text

    def hub_bytes(self, key: str, commit: str) -> dict[str, str]:
        """path -> sha256 of the file's content (LFS files: of the object) at a hub commit."""
        found = {}
        for entry in self.git.list_tree(key, commit, recursive=True):
            if entry.type != "file":
                continue
            data = self.git.read_blob(key, entry.oid)
            pointer = parse_pointer(data)
            if pointer is not None:
                data = b"".join(self.hub.lfs.store.read_range(self.hub.lfs.object_key(pointer.oid)))
            found[entry.path] = hashlib.sha256(data).hexdigest()
        return found

    def lakefs_bytes(self, key: str, commit_id: str) -> dict[str, str]:
        """path -> sha256 of what lakeFS serves: its own bytes, or those at the linked physical address."""
        found = {}
        for path, (data, address, _oid) in self.lakefs.tree(repository_name(key), commit_id).items():
            if data is None:
                data = b"".join(self.hub.lfs.store.read_range(address.removeprefix(self.linked_prefix)))
            found[path] = hashlib.sha256(data).hexdigest()
        return found

    def assert_mirrored(self, key: str) -> None:
        """Branches and tags match; each lakeFS commit of each branch has its hub commit's tree, message, date."""
        name = repository_name(key)
        refs = self.git.refs(key)
        refs.branches.pop("feature/x", None)  # lakeFS cannot name it (the mirror leaves it out)
        heads = self.lakefs.branches(name)
        assert {b: h.hub_commit for b, h in heads.items()} == refs.branches
        for branch in refs.branches:
            mirrored = self.lakefs.log(name, branch)
            hub_chain = [info.id for info in self.git.log(key, refs.branches[branch], limit=10_000)]
            shas = [c.metadata[COMMIT_KEY] for c in mirrored]
            assert len(shas) == len(set(shas)), f"{branch}: a hub commit mirrored twice: {shas}"
            assert shas == hub_chain[:len(shas)], f"{branch}: lakeFS history is not the hub's, in order"
            for lakefs_commit in mirrored:
                sha = lakefs_commit.metadata[COMMIT_KEY]
                info = self.git.commit_info(key, sha)
                assert self.lakefs_bytes(key, lakefs_commit.id) == self.hub_bytes(key, sha), sha
                assert lakefs_commit.message == info.message
                assert lakefs_commit.date == info.date
                assert lakefs_commit.metadata["kohakuhub.author"] == f"{info.author_name} <{info.author_email}>"
        tags = self.lakefs.tags(name)
        assert set(tags) == set(refs.tags)
        for tag, sha in refs.tags.items():
            assert self.lakefs.repos[name].commits[tags[tag]].metadata[COMMIT_KEY] == sha


@pytest.fixture
def mirror(hub_client) -> Mirror:
    return Mirror(hub_client)


def test_lfs_files_are_linked_in_place_when_lakefs_shares_the_hubs_bucket(make_hub):
    hc = make_hub(**s3_settings(), lfs_multipart_chunk_size_bytes=MIN_PART_SIZE)  # both layouts: LFS in MinIO
    bucket = hc.hub.settings.s3_bucket_name
    mirror = Mirror(hc, linked_prefix=f"s3://{bucket}/")
    create_repo(hc.client, hc.token, "big")
    data = bytes(range(256)) * 64
    lfs_upload(hc.client, hc.token, "alice/big", data)
    commit(hc.client, hc.token, "alice/big", [lfs_op("weights.bin", data), file_op("small.txt", b"small")])
    mirror.service.drain()
    key = mirror.key("alice/big")
    mirror.assert_mirrored(key)
    tree = mirror.lakefs.tree(repository_name(key), "main")
    stored, address, _ = tree["weights.bin"]
    # No byte copied: lakeFS points at the hub's own object, which holds the file.
    assert stored is None and address == f"s3://{bucket}/{hc.hub.lfs.object_key(sha256(data))}"
    assert tree["small.txt"][:2] == (b"small", None)  # small files are uploaded


def _pending(key: str) -> int:
    return next((s.pending for s in queue_db.mirror_states() if s.key == key), 0)


def test_every_write_path_is_mirrored_commit_for_commit(mirror):
    hc, base = mirror.hc, api("alice/m")
    create_repo(hc.client, hc.token, "m")
    key = mirror.key("alice/m")
    assert _pending(key) >= 1  # the repo's initial commit was queued without waiting for lakeFS
    big = b"L" * 2048 + b"large file"
    lfs_upload(hc.client, hc.token, "alice/m", big)
    commit(hc.client, hc.token, "alice/m", [file_op("a.txt", b"one"), lfs_op("w.bin", big)], summary="add")
    commit(hc.client, hc.token, "alice/m", [file_op("dir/b.txt", b"two")], summary="b")
    mirror.post(f"{base}/branch/dev")
    mirror.post(f"{base}/branch/feature%2Fx")  # a name lakeFS cannot hold: left out
    commit(hc.client, hc.token, "alice/m", [file_op("a.txt", b"dev one")], revision="dev", summary="on dev")
    mirror.post(f"{base}/tag/main", json={"tag": "v1"})
    mirror.post(f"{base}/tag/main", json={"tag": "v1-annotated", "message": "release"})
    assert mirror.service.drain() == 1
    mirror.assert_mirrored(key)
    assert len(mirror.lakefs.log(repository_name(key), "main")) == 3  # initial commit, add, b

    # A tag on a commit no branch holds; a deleted branch and tag; a squashed branch; more commits.
    mirror.post(f"{base}/branch/tmp")
    commit(hc.client, hc.token, "alice/m", [{"key": "deletedFile", "value": {"path": "dir/b.txt"}}],
           revision="tmp", summary="only on tmp")
    mirror.post(f"{base}/tag/tmp", json={"tag": "orphan"})
    mirror.delete(f"{base}/branch/tmp")
    mirror.delete(f"{base}/tag/v1")
    mirror.post(f"{base}/super-squash/dev", json={"message": "squashed dev"})
    commit(hc.client, hc.token, "alice/m", [file_op("c.txt", b"three")], summary="c")
    assert mirror.service.drain() == 1
    mirror.assert_mirrored(key)
    name = repository_name(key)
    assert set(mirror.lakefs.branches(name)) == {"main", "dev"}
    assert [c.message for c in mirror.lakefs.log(name, "dev")] == ["squashed dev"]  # the branch was reset
    assert _pending(key) == 0


def test_pull_request_merges_are_mirrored(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "pr")
    key = mirror.key("alice/pr")
    commit(hc.client, hc.token, "alice/pr", [file_op("c.txt", b"one\ntwo\nthree\n")])
    mirror.service.drain()

    def open_pr(ops) -> None:
        resp = hc.client.post(f"{api('alice/pr')}/commit/main?create_pr=1", content=ndjson(ops, summary="propose"),
                              headers={**bearer(hc.token), **NDJSON})
        assert resp.status_code == 200, resp.text

    open_pr([file_op("pr.txt", b"fast-forward")])
    mirror.service.drain()
    assert set(mirror.lakefs.branches(repository_name(key))) == {"main"}  # refs/pr/N is not mirrored
    mirror.post(f"{api('alice/pr')}/discussions/1/merge")  # a fast-forward, alone in the queue
    mirror.service.drain()
    mirror.assert_mirrored(key)
    open_pr([file_op("c.txt", b"ONE\ntwo\nthree\n")])
    commit(hc.client, hc.token, "alice/pr", [file_op("c.txt", b"one\ntwo\nTHREE\n")])
    mirror.service.drain()
    merged = mirror.post(f"{api('alice/pr')}/discussions/2/merge").json()["mergeCommitId"]  # a merge commit
    mirror.service.drain()
    mirror.assert_mirrored(key)  # the merge commit is one lakeFS commit with the merged tree
    log = mirror.lakefs.log(repository_name(key), "main")
    assert log[0].metadata[COMMIT_KEY] == merged and log[0].metadata["kohakuhub.parents"].count(",") == 1


def test_squash_of_the_default_branch_is_committed_on_top(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "s")
    key = mirror.key("alice/s")
    commit(hc.client, hc.token, "alice/s", [file_op("x", b"1")])
    mirror.service.drain()
    mirror.post(f"{api('alice/s')}/super-squash/main", json={"message": "one commit"})
    mirror.service.drain()
    tip = head(hc.client, hc.token, "alice/s")
    log = mirror.lakefs.log(repository_name(key), "main")
    # lakeFS cannot delete its default branch: the squashed tree is committed on top of the old history.
    assert log[0].metadata[COMMIT_KEY] == tip and log[0].message == "one commit"
    assert mirror.lakefs_bytes(key, log[0].id) == mirror.hub_bytes(key, tip)


def test_lakefs_down_for_twenty_commits_then_catches_up_in_order(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "d")
    key = mirror.key("alice/d")
    mirror.service.drain()
    mirror.lakefs.down = True
    for number in range(20):
        commit(hc.client, hc.token, "alice/d", [file_op(f"f{number % 3}.txt", f"v{number}".encode())],
               summary=f"commit {number}")  # the hub never waits for, nor fails because of, lakeFS
    assert mirror.service.drain() == 1  # tried once, failed, backing off
    [state] = [s for s in queue_db.mirror_states() if s.key == key]
    assert state.pending == 20 and state.attempts == 1 and "connection refused" in state.last_error
    assert mirror.service.drain() == 0  # not due before its backoff
    assert mirror.service.commits_behind(key) == 20
    assert backoff(1) == timedelta(seconds=2) and backoff(3) == timedelta(seconds=8)
    assert backoff(50) == timedelta(seconds=600)
    mirror.lakefs.down = False
    mirror.service.resync([key])  # the admin's resync makes it due at once (otherwise: after the backoff)
    assert mirror.service.drain() == 1
    mirror.assert_mirrored(key)
    assert [c.message for c in mirror.lakefs.log(repository_name(key), "main")][:20] == \
        [f"commit {n}" for n in reversed(range(20))]
    [state] = [s for s in queue_db.mirror_states() if s.key == key]
    assert (state.pending, state.attempts, state.last_error) == (0, 0, None)
    assert mirror.service.commits_behind(key) == 0


@pytest.mark.parametrize("cut", ["after_commit", "during_staging"])
def test_a_sync_cut_short_duplicates_nothing(mirror, cut):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "k")
    key = mirror.key("alice/k")
    for number in range(4):
        commit(hc.client, hc.token, "alice/k", [file_op("a", f"{number}".encode()), file_op(f"n{number}", b"x")],
               summary=f"c{number}")
    setattr(mirror.lakefs, f"fail_{cut}", 1)
    mirror.service.drain()
    assert "the test cut it" in next(s for s in queue_db.mirror_states() if s.key == key).last_error
    mirror.service.resync([key])
    mirror.service.drain()
    mirror.assert_mirrored(key)  # every hub commit exactly once, in order
    commits_made = mirror.lakefs.commit_calls
    assert len(mirror.lakefs.log(repository_name(key), "main")) == 5
    assert commits_made == 5  # the cut commit was not made again
    mirror.service.resync([key])
    mirror.service.drain()
    assert mirror.lakefs.commit_calls == commits_made  # an up-to-date mirror: nothing to replay


def test_two_drainers_never_mirror_one_repo_at_once(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "two")
    other = LakefsMirrorService(mirror.git, mirror.lakefs, LfsSource(mirror.hub.lfs.object_key,
                                                                     mirror.hub.lfs.store, None))
    claim = queue_db.claim_next(mirror.service.owner, timedelta(minutes=1))
    assert claim is not None and claim.key == mirror.key("alice/two")
    assert queue_db.claim_next(other.owner, timedelta(minutes=1)) is None  # held by the first
    assert not queue_db.renew_lease(claim, other.owner, timedelta(minutes=1))
    queue_db.mark_mirrored(claim, other.owner)  # not the holder: changes nothing
    assert _pending(claim.key) == 1
    # A holder that dies: its lease runs out and another worker takes the repo over.
    queue_db.renew_lease(claim, mirror.service.owner, timedelta(seconds=-1))
    taken = queue_db.claim_next(other.owner, timedelta(minutes=1))
    assert taken is not None and taken.key == claim.key


def test_repo_delete_deletes_the_lakefs_repository_and_a_move_changes_nothing(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "old")
    key = mirror.key("alice/old")
    mirror.service.drain()
    name = repository_name(key)
    assert name in mirror.lakefs.repos and mirror.lakefs.repos[name].hub_key == key
    mirror.post("/api/repos/move", json={"fromRepo": "alice/old", "toRepo": "alice/new", "type": "model"})
    assert _pending(key) == 0 and mirror.service.drain() == 0  # named by the immutable key: nothing to do
    commit(hc.client, hc.token, "alice/new", [file_op("z", b"z")])
    mirror.service.drain()
    mirror.assert_mirrored(key)
    resp = hc.client.request("DELETE", "/api/repos/delete", json={"name": "new", "type": "model"},
                             headers=bearer(hc.token))
    assert resp.status_code == 200, resp.text
    assert _pending(key) == 1
    mirror.service.drain()
    assert name not in mirror.lakefs.repos and mirror.lakefs.deleted_repos == [name]
    assert all(s.key != key for s in queue_db.mirror_states())  # forgotten once lakeFS is clean


def test_rebuild_replays_the_whole_history(mirror):
    hc = mirror.hc
    create_repo(hc.client, hc.token, "r")
    key = mirror.key("alice/r")
    commit(hc.client, hc.token, "alice/r", [file_op("a", b"a")])
    mirror.service.drain()
    first = mirror.lakefs.repos[repository_name(key)]
    mirror.service.resync([key], rebuild=True)
    assert repository_name(key) not in mirror.lakefs.repos
    mirror.service.drain()
    assert mirror.lakefs.repos[repository_name(key)] is not first
    mirror.assert_mirrored(key)
    assert len(mirror.lakefs.log(repository_name(key), "main")) == 2
