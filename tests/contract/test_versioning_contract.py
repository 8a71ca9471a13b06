"""Contract suite of the VersioningBackend port, run on every adapter.

To add an adapter (LakeFS...), add one entry to ``ADAPTERS``: a factory taking a scratch directory. The
factory is looked up by name again in child processes (cross-process locking test), so it must not need
pytest fixtures. Tests after the "git adapter only" marker check GitBackend specifics: the repository
is real git (ids agree with the git binary, fsck is clean), the on-disk layout, the lock API.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import re
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    EntryNotFoundError,
    InvalidPathError,
    InvalidRevisionError,
    MergeConflictError,
    NotFoundError,
    RepoNotFoundError,
    RevisionNotFoundError,
    StaleParentError,
)
from kohakuhub.types import DeleteFile, DeleteFolder, DiffLimits, PutFile, Signature, TreeEntry
from kohakuhub.versioning.base import VersioningBackend
from kohakuhub.versioning.git import GitBackend

ADAPTERS: dict[str, Callable[[Path], VersioningBackend]] = {
    "git": lambda root: GitBackend(root / "repos"),
}

KEY = "0f3c2a9e7b6d4c1a8e5f0b2d9c7a6e41"
AUTHOR = Signature("Ada Lovelace", "ada@example.com")
HEX40 = re.compile(r"[0-9a-f]{40}")


@pytest.fixture(params=list(ADAPTERS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> VersioningBackend:
    backend = ADAPTERS[request.param](tmp_path)
    backend.adapter_name = request.param  # type: ignore[attr-defined]  # for child processes
    return backend


@pytest.fixture
def repo(backend: VersioningBackend) -> str:
    """A repo whose main branch holds one initial commit with ``.gitattributes``."""
    backend.init_repo(KEY)
    commit(backend, [put(backend, ".gitattributes", b"*.bin filter=lfs\n")], create_branch=True)
    return KEY


def put(backend: VersioningBackend, path: str, data: bytes, *, executable: bool = False) -> PutFile:
    return PutFile(path, backend.write_blob(KEY, data), executable)


def commit(backend: VersioningBackend, ops, message: str = "update", branch: str = "main", **kw) -> str:
    return backend.commit(KEY, branch=branch, operations=ops, message=message, author=AUTHOR, **kw)


def files(backend: VersioningBackend, rev: str = "main") -> dict[str, bytes]:
    """path -> content of every file at ``rev``."""
    return {
        e.path: backend.read_blob(KEY, e.oid)
        for e in backend.list_tree(KEY, rev, recursive=True)
        if e.type == "file"
    }


def paths(entries) -> list[str]:
    return [e.path for e in entries]


# --- repositories ----------------------------------------------------------------------------------


def test_init_creates_an_empty_repo(backend):
    assert not backend.repo_exists(KEY)
    backend.init_repo(KEY)
    assert backend.repo_exists(KEY)
    refs = backend.refs(KEY)
    assert refs.branches == {} and refs.tags == {}
    with pytest.raises(RevisionNotFoundError):
        backend.resolve(KEY, "main")
    with pytest.raises(ConflictError):
        backend.init_repo(KEY)


def test_delete_repo_is_idempotent(backend, repo):
    backend.delete_repo(KEY)
    assert not backend.repo_exists(KEY)
    backend.delete_repo(KEY)
    backend.init_repo(KEY)  # the key can be reused
    assert backend.refs(KEY).branches == {}


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.resolve(KEY, "main"),
        lambda b: b.refs(KEY),
        lambda b: b.write_blob(KEY, b"x"),
        lambda b: b.write_blobs(KEY, [b"x"]),
        lambda b: b.write_blobs(KEY, [b"%d" % i for i in range(100)]),
        lambda b: b.read_blob(KEY, "0" * 40),
        lambda b: list(b.list_tree(KEY, "main")),
        lambda b: b.log(KEY, "main"),
        lambda b: b.create_branch(KEY, "dev", "main"),
        lambda b: commit(b, [], create_branch=True),
    ],
)
def test_operations_on_a_missing_repo(backend, call):
    with pytest.raises(RepoNotFoundError):
        call(backend)


# --- objects ---------------------------------------------------------------------------------------


def test_blob_round_trip(backend, repo, tmp_path):
    oid = backend.write_blob(KEY, b"hello world")
    assert HEX40.fullmatch(oid)
    assert backend.read_blob(KEY, oid) == b"hello world"
    assert backend.blob_size(KEY, oid) == 11
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 40_000)
    big_oid = backend.write_blob_from_file(KEY, big)
    assert backend.blob_size(KEY, big_oid) == big.stat().st_size
    assert backend.read_blob(KEY, big_oid) == big.read_bytes()
    assert big_oid == backend.write_blob(KEY, big.read_bytes())  # same content, same id


@pytest.mark.parametrize("oid", ["0" * 40, "zz", "", "../../HEAD", "a" * 41])
def test_missing_blob(backend, repo, oid):
    with pytest.raises(NotFoundError):
        backend.read_blob(KEY, oid)
    with pytest.raises(NotFoundError):
        backend.blob_size(KEY, oid)


def test_a_tree_id_is_not_a_blob(backend, repo):
    tree_oid = backend.get_entry(KEY, "main", "").oid
    with pytest.raises(NotFoundError):
        backend.read_blob(KEY, tree_oid)


def many_blobs(count: int, tag: str = "") -> list[bytes]:
    """``count`` contents with repeats and an empty one among them."""
    return [f"{tag}blob {i % 7}\n".encode() * (i % 5) for i in range(count)]


@pytest.mark.parametrize("count", [0, 1, 5, 100, 1000])  # both sides of the git adapter's pack threshold
def test_write_blobs_is_write_blob_in_bulk(backend, repo, count):
    blobs = many_blobs(count)
    ids = backend.write_blobs(KEY, blobs)
    assert len(ids) == count and all(HEX40.fullmatch(oid) for oid in ids)
    assert ids == [backend.write_blob(KEY, data) for data in blobs]  # same content, same id
    for oid, data in zip(ids, blobs):
        assert backend.read_blob(KEY, oid) == data
        assert backend.blob_size(KEY, oid) == len(data)


def test_blobs_written_together_can_be_committed(backend, repo):
    blobs = [b"file %d\n" % i for i in range(300)]
    ids = backend.write_blobs(KEY, blobs)
    ops = [PutFile(f"batch/{i // 100}/{i}.txt", oid) for i, oid in enumerate(ids)]
    ops += [DeleteFolder("batch/2"), PutFile("batch/2/again.txt", ids[0])]
    commit(backend, ops)
    expected = {f"batch/{i // 100}/{i}.txt": blobs[i] for i in range(200)}
    expected |= {".gitattributes": b"*.bin filter=lfs\n", "batch/2/again.txt": blobs[0]}
    assert files(backend) == expected


# --- commits ---------------------------------------------------------------------------------------


def test_first_commit_on_a_new_branch(backend):
    backend.init_repo(KEY)
    with pytest.raises(RevisionNotFoundError):
        commit(backend, [put(backend, "a.txt", b"a")])
    cid = commit(backend, [put(backend, "a.txt", b"a")], message="first\n\nbody", create_branch=True)
    assert HEX40.fullmatch(cid)
    assert backend.resolve(KEY, "main") == cid
    info = backend.commit_info(KEY, cid)
    assert info.parents == () and info.title == "first" and info.message == "first\n\nbody"
    assert (info.author_name, info.author_email) == (AUTHOR.name, AUTHOR.email)
    assert files(backend) == {"a.txt": b"a"}


def test_put_overwrite_delete(backend, repo):
    head = commit(backend, [put(backend, "a.txt", b"one"), put(backend, "b.txt", b"b")])
    assert backend.commit_info(KEY, "main").parents == (backend.log(KEY, "main")[1].id,)
    commit(backend, [put(backend, "a.txt", b"two")])
    assert files(backend)["a.txt"] == b"two"
    assert files(backend, head)["a.txt"] == b"one"  # history keeps the old content
    commit(backend, [DeleteFile("a.txt")])
    assert backend.get_entry(KEY, "main", "a.txt") is None
    assert set(files(backend)) == {".gitattributes", "b.txt"}


def test_nested_dirs_and_delete_folder(backend, repo):
    commit(
        backend,
        [put(backend, "d/e/f/g.txt", b"g"), put(backend, "d/e/h.txt", b"h"), put(backend, "d/i", b"i")],
    )
    assert backend.get_entry(KEY, "main", "d/e/f").type == "directory"
    commit(backend, [DeleteFolder("d/e")])
    assert set(files(backend)) == {".gitattributes", "d/i"}
    commit(backend, [DeleteFile("d/i")])  # a directory left empty disappears
    assert backend.get_entry(KEY, "main", "d") is None


def test_file_and_directory_replace_each_other(backend, repo):
    commit(backend, [put(backend, "a", b"file")])
    commit(backend, [put(backend, "a/b", b"nested")])  # file "a" becomes directory "a"
    assert backend.get_entry(KEY, "main", "a").type == "directory"
    assert files(backend)["a/b"] == b"nested"
    commit(backend, [put(backend, "a", b"file again")])  # and back
    assert backend.get_entry(KEY, "main", "a").type == "file"
    assert set(files(backend)) == {".gitattributes", "a"}


def test_operations_apply_in_order(backend, repo):
    commit(backend, [put(backend, "x/old.txt", b"old")])
    commit(backend, [DeleteFolder("x"), put(backend, "x/new.txt", b"new"), put(backend, "y", b"1")])
    commit(backend, [put(backend, "z", b"tmp"), DeleteFile("z"), put(backend, "y", b"2")])
    assert files(backend) == {".gitattributes": b"*.bin filter=lfs\n", "x/new.txt": b"new", "y": b"2"}


def test_executable_bit(backend, repo):
    commit(backend, [put(backend, "run.sh", b"#!/bin/sh\n", executable=True), put(backend, "r", b"")])
    assert backend.get_entry(KEY, "main", "run.sh").mode == 0o100755
    assert backend.get_entry(KEY, "main", "r").mode == 0o100644
    cid = commit(backend, [put(backend, "run.sh", b"#!/bin/sh\n")])  # same blob, mode change only
    assert backend.get_entry(KEY, "main", "run.sh").mode == 0o100644
    assert backend.last_commits(KEY, "main", ["run.sh"])["run.sh"].id == cid


@pytest.mark.parametrize(
    "op",
    [
        DeleteFile("missing.txt"),
        DeleteFile("dir"),
        DeleteFile("dir/nope"),
        DeleteFile("f.txt/x"),
        DeleteFolder("missing"),
        DeleteFolder("f.txt"),
        DeleteFolder("dir/f.txt"),
    ],
)
def test_deleting_a_missing_entry_fails_and_changes_nothing(backend, repo, op):
    head = commit(backend, [put(backend, "f.txt", b"f"), put(backend, "dir/f.txt", b"g")])
    with pytest.raises(EntryNotFoundError):
        commit(backend, [put(backend, "new.txt", b"n"), op])
    assert backend.resolve(KEY, "main") == head


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "a/", "../x", "a/./b", ".git/config", "a\0b"])
def test_invalid_paths_are_refused(backend, repo, path):
    with pytest.raises(InvalidPathError):
        commit(backend, [put(backend, path, b"x")])


def test_put_of_a_missing_blob_is_refused(backend, repo):
    with pytest.raises(NotFoundError):
        commit(backend, [PutFile("a.txt", "1" * 40)])


def test_empty_commit_is_created(backend, repo):
    head = backend.resolve(KEY, "main")
    cid = commit(backend, [], message="nothing")
    assert cid != head and backend.commit_info(KEY, cid).parents == (head,)


def test_expected_head(backend, repo):
    first = backend.resolve(KEY, "main")
    second = commit(backend, [put(backend, "a", b"1")], expected_head=first)
    for stale in (first, first[:7], "zzzzzzz"):
        with pytest.raises(StaleParentError):
            commit(backend, [put(backend, "b", b"2")], expected_head=stale)
    with pytest.raises(StaleParentError):  # a prefix needs at least 5 hex digits
        commit(backend, [put(backend, "b", b"2")], expected_head=second[:4])
    third = commit(backend, [put(backend, "b", b"2")], expected_head=second[:5])
    commit(backend, [put(backend, "c", b"3")], expected_head=third.upper())
    assert backend.count_commits(KEY, "main") == 4


def test_commit_date_and_multiline_message(backend, repo):
    when = datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC)
    cid = commit(backend, [], message="Title line\n\nDetails\nmore", when=when)
    info = backend.commit_info(KEY, cid)
    assert info.date == when and info.date.tzinfo is not None
    assert info.title == "Title line" and info.message == "Title line\n\nDetails\nmore"
    tokyo = datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert backend.commit_info(KEY, commit(backend, [], when=tokyo)).date == tokyo  # same instant


def test_squash(backend, repo):
    for i in range(3):
        commit(backend, [put(backend, f"f{i}", str(i).encode())])
    before = files(backend)
    cid = backend.squash(KEY, branch="main", message="squashed", author=AUTHOR)
    assert backend.resolve(KEY, "main") == cid
    assert backend.count_commits(KEY, "main") == 1
    assert backend.commit_info(KEY, cid).parents == ()
    assert files(backend) == before
    with pytest.raises(RevisionNotFoundError):
        backend.squash(KEY, branch="nope", message="m", author=AUTHOR)


# --- revisions -------------------------------------------------------------------------------------


def test_resolve_branches_tags_and_ids(backend, repo):
    c1 = backend.resolve(KEY, "main")
    c2 = commit(backend, [put(backend, "a", b"a")])
    backend.create_branch(KEY, "dev", c1)
    backend.create_tag(KEY, "v1", c1, message=None, tagger=AUTHOR)
    backend.create_tag(KEY, "v2", c2, message="release 2\n", tagger=AUTHOR)
    assert backend.resolve(KEY, "main") == c2
    assert backend.resolve(KEY, "dev") == c1
    assert backend.resolve(KEY, "refs/heads/dev") == c1
    assert backend.resolve(KEY, "v1") == c1
    assert backend.resolve(KEY, "v2") == c2  # annotated tag peeled to its commit
    assert backend.resolve(KEY, "refs/tags/v2") == c2
    assert backend.resolve(KEY, c1) == c1
    assert backend.resolve(KEY, c1.upper()) == c1
    assert backend.resolve(KEY, c2[:7]) == c2
    for rev in ("nope", "refs/heads/nope", "0" * 40, "0000000", c1[:3]):
        with pytest.raises(RevisionNotFoundError, match="Invalid rev id"):
            backend.resolve(KEY, rev)


def test_resolve_precedence_branch_then_tag_then_id(backend, repo):
    c1 = backend.resolve(KEY, "main")
    c2 = commit(backend, [put(backend, "a", b"a")])
    c3 = commit(backend, [put(backend, "b", b"b")])
    backend.create_tag(KEY, "same", c2, message=None, tagger=AUTHOR)
    backend.create_branch(KEY, "same", c1)
    assert backend.resolve(KEY, "same") == c1
    backend.create_tag(KEY, c3[:8], c1, message=None, tagger=AUTHOR)  # a tag that looks like an id
    assert backend.resolve(KEY, c3[:8]) == c1
    assert backend.resolve(KEY, c3[:9]) == c3


def test_a_blob_id_is_not_a_revision(backend, repo):
    blob = backend.write_blob(KEY, b"not a commit")
    with pytest.raises(RevisionNotFoundError):
        backend.resolve(KEY, blob)


@pytest.mark.parametrize(
    "rev",
    [
        "",
        " ",
        "..",
        "main..dev",
        "ma in",
        "main\0",
        "\0",
        "x" * 5000,
        "refs/heads/../x",
        "refs/",
        "@{-1}",
        "main~1",
        "main^",
        ":/msg",
        "-",
        "~",
        "refs/heads/main.lock",
        "ü",
        "\n",
        "/main",
        "a" * 40,
    ],
)
def test_resolve_never_crashes_on_garbage(backend, repo, rev):
    with pytest.raises(RevisionNotFoundError):
        backend.resolve(KEY, rev)


def test_branches_create_delete_conflict(backend, repo):
    head = backend.resolve(KEY, "main")
    backend.create_branch(KEY, "feature/x", "main")
    assert backend.refs(KEY).branches == {"main": head, "feature/x": head}
    with pytest.raises(ConflictError):
        backend.create_branch(KEY, "feature/x", head)
    with pytest.raises(ConflictError):  # "feature/x" exists, so "feature/x/y" cannot
        backend.create_branch(KEY, "feature/x/y", head)
    with pytest.raises(ConflictError):
        backend.create_branch(KEY, "feature", head)
    with pytest.raises(RevisionNotFoundError):
        backend.create_branch(KEY, "other", "no-such-rev")
    cid = commit(backend, [put(backend, "f", b"f")], branch="feature/x")
    assert backend.resolve(KEY, "feature/x") == cid and backend.resolve(KEY, "main") == head
    backend.delete_branch(KEY, "feature/x")
    assert set(backend.refs(KEY).branches) == {"main"}
    with pytest.raises(RevisionNotFoundError):
        backend.delete_branch(KEY, "feature/x")
    with pytest.raises(RevisionNotFoundError):
        backend.delete_branch(KEY, "bad..name")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a..b",
        "a b",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "/a",
        "a/",
        "a//b",
        "a.lock",
        ".a",
        "a/.b",
        "a@{b",
        "@",
        "HEAD",
        "-a",
        "refs/heads/x",
        "a\0b",
        "a\nb",
        "ab" * 20,
        "x" * 300,
    ],
)
def test_invalid_ref_names(backend, repo, name):
    with pytest.raises(InvalidRevisionError):
        backend.create_branch(KEY, name, "main")
    with pytest.raises(InvalidRevisionError):
        backend.create_tag(KEY, name, "main", message=None, tagger=AUTHOR)
    with pytest.raises(InvalidRevisionError):
        commit(backend, [], branch=name, create_branch=True)


def test_tags_create_delete_conflict(backend, repo):
    c1 = backend.resolve(KEY, "main")
    c2 = commit(backend, [put(backend, "a", b"a")])
    backend.create_tag(KEY, "v1.0", c1, message=None, tagger=AUTHOR)
    backend.create_tag(KEY, "v2.0", "main", message="Release 2", tagger=AUTHOR)
    assert backend.refs(KEY).tags == {"v1.0": c1, "v2.0": c2}
    for message in (None, "again"):
        with pytest.raises(ConflictError):
            backend.create_tag(KEY, "v1.0", c2, message=message, tagger=AUTHOR)
    with pytest.raises(RevisionNotFoundError):
        backend.create_tag(KEY, "v3", "nope", message=None, tagger=AUTHOR)
    backend.delete_tag(KEY, "v2.0")
    assert backend.refs(KEY).tags == {"v1.0": c1}
    with pytest.raises(RevisionNotFoundError):
        backend.delete_tag(KEY, "v2.0")
    assert backend.resolve(KEY, "main") == c2  # deleting a tag leaves the commits alone


# --- reading trees ---------------------------------------------------------------------------------

TREE_FILES = [
    "README.md",
    "a",
    "a.txt",
    "a-b/c",
    "b/c.txt",
    "b/c/d/e.txt",
    "b/c/d/f.txt",
    "b/c/g",
    "b/h/i.txt",
    "b.json",
    "c/d",
    "model.safetensors",
    "sub/deep/er/than/you/think.txt",
    "z",
]


@pytest.fixture
def tree_repo(backend, repo) -> str:
    commit(backend, [put(backend, p, p.encode() * 3) for p in TREE_FILES if p != "a"])
    commit(backend, [put(backend, "a/x", b"x"), put(backend, "a/y/z", b"z")])
    return repo


def test_list_tree_root_and_entries(backend, tree_repo):
    entries = {e.path: e for e in backend.list_tree(KEY, "main")}
    assert set(entries) == {
        ".gitattributes",
        "README.md",
        "a",
        "a.txt",
        "a-b",
        "b",
        "b.json",
        "c",
        "model.safetensors",
        "sub",
        "z",
    }
    readme = entries["README.md"]
    assert readme.type == "file" and readme.size == len(b"README.md" * 3)
    assert backend.read_blob(KEY, readme.oid) == b"README.md" * 3
    assert entries["b"].type == "directory" and entries["b"].size == 0
    assert entries["b"] == backend.get_entry(KEY, "main", "b")
    assert readme == backend.get_entry(KEY, "main", "README.md")


def test_list_tree_recursive_is_a_pre_order_walk(backend, tree_repo):
    listing = paths(backend.list_tree(KEY, "main", recursive=True))
    expected_files = {".gitattributes", "a/x", "a/y/z", *TREE_FILES} - {"a"}
    dirs = {
        "a",
        "a/y",
        "a-b",
        "b",
        "b/c",
        "b/c/d",
        "b/h",
        "c",
        "sub",
        "sub/deep",
        "sub/deep/er",
        "sub/deep/er/than",
        "sub/deep/er/than/you",
    }
    assert len(listing) == len(set(listing)) and set(listing) == expected_files | dirs
    for d in dirs:  # a directory comes first, then all of its contents without interruption
        inside = [i for i, p in enumerate(listing) if p.startswith(d + "/")]
        assert inside == list(range(listing.index(d) + 1, listing.index(d) + 1 + len(inside)))
    again = paths(backend.list_tree(KEY, "main", recursive=True))
    assert again == listing  # stable


def test_list_tree_of_a_subdirectory(backend, tree_repo):
    assert set(paths(backend.list_tree(KEY, "main", "b"))) == {"b/c.txt", "b/c", "b/h"}
    deep = paths(backend.list_tree(KEY, "main", "b/c", recursive=True))
    assert set(deep) == {"b/c/d", "b/c/d/e.txt", "b/c/d/f.txt", "b/c/g"}
    assert paths(backend.list_tree(KEY, "main", "b/c/")) == paths(backend.list_tree(KEY, "main", "b/c"))


@pytest.mark.parametrize("path", ["README.md", "b/c.txt", "missing", "b/missing", "../b", "b\0"])
def test_list_tree_of_a_file_or_missing_path(backend, tree_repo, path):
    with pytest.raises(EntryNotFoundError):
        list(backend.list_tree(KEY, "main", path))


@pytest.mark.parametrize("path,recursive", [("", True), ("", False), ("b", True), ("b/c", False)])
def test_start_after_resumes_after_every_cursor(backend, tree_repo, path, recursive):
    full = paths(backend.list_tree(KEY, "main", path, recursive=recursive))
    for i, cursor in enumerate(full):  # files, directories, nested entries, the last entry
        page = paths(backend.list_tree(KEY, "main", path, recursive=recursive, start_after=cursor))
        assert page == full[i + 1 :], cursor


@pytest.mark.parametrize("page_size", [1, 3, 7])
def test_pages_concatenate_to_the_full_listing(backend, tree_repo, page_size):
    full = paths(backend.list_tree(KEY, "main", recursive=True))
    pages: list[str] = []
    cursor = None
    while True:
        it = backend.list_tree(KEY, "main", recursive=True, start_after=cursor)
        page = [e.path for _, e in zip(range(page_size), it)]
        if not page:
            break
        pages += page
        cursor = page[-1]
    assert pages == full


def test_start_after_a_cursor_that_was_deleted(backend, tree_repo):
    old = paths(backend.list_tree(KEY, "main", recursive=True))
    commit(backend, [DeleteFolder("b/c"), DeleteFile("a.txt")])
    new = paths(backend.list_tree(KEY, "main", recursive=True))
    for cursor in ("b/c/d/e.txt", "b/c", "a.txt", "b/c/g"):
        after = old[old.index(cursor) + 1 :]
        expected = [p for p in new if p in after]
        page = paths(backend.list_tree(KEY, "main", recursive=True, start_after=cursor))
        # A vanished cursor must never make a page skip entries. A vanished *directory* cursor may
        # repeat a few (git order puts "c.txt" between file "c" and directory "c", and the cursor does
        # not say which it was), so only the suffix property is required for it.
        assert page == new[len(new) - len(page) :] and set(expected) <= set(page), cursor
        if cursor != "b/c":
            assert page == expected, cursor


def test_empty_start_after_means_from_the_start(backend, tree_repo):
    full = paths(backend.list_tree(KEY, "main", "b", recursive=True))
    assert paths(backend.list_tree(KEY, "main", "b", recursive=True, start_after="")) == full
    assert paths(backend.list_tree(KEY, "main", "b", recursive=True, start_after="b")) == full


def test_start_after_outside_the_listed_directory(backend, tree_repo):
    with pytest.raises(BadRequestError):
        list(backend.list_tree(KEY, "main", "b", start_after="c/d"))


def test_get_entry(backend, tree_repo):
    root = backend.get_entry(KEY, "main", "")
    assert root.type == "directory" and root.path == ""
    assert backend.get_entry(KEY, "main", "b/c/d/e.txt") == TreeEntry(
        "b/c/d/e.txt", "file", backend.write_blob(KEY, b"b/c/d/e.txt" * 3), len(b"b/c/d/e.txt") * 3, 0o100644
    )
    for missing in ("nope", "b/nope", "README.md/x", "a\0", "../a", "a//x"):
        assert backend.get_entry(KEY, "main", missing) is None
    with pytest.raises(RevisionNotFoundError):
        backend.get_entry(KEY, "nope", "a")


# --- history ---------------------------------------------------------------------------------------


def test_log_count_skip_limit(backend, repo):
    ids = [backend.resolve(KEY, "main")]
    for i in range(5):
        ids.append(commit(backend, [put(backend, f"f{i}", b"x")], message=f"commit {i}\n\nbody {i}"))
    newest_first = ids[::-1]
    assert [c.id for c in backend.log(KEY, "main")] == newest_first
    assert [c.id for c in backend.log(KEY, "main", skip=1, limit=2)] == newest_first[1:3]
    assert backend.log(KEY, "main", skip=10) == []
    assert backend.log(KEY, ids[2]) == backend.log(KEY, "main", skip=3)
    assert backend.count_commits(KEY, "main") == 6 and backend.count_commits(KEY, ids[1]) == 2
    top = backend.log(KEY, "main", limit=1)[0]
    assert top.title == "commit 4" and top.message == "commit 4\n\nbody 4"
    assert top.parents == (ids[4],) and top.date.utcoffset() == timedelta(0)
    assert top == backend.commit_info(KEY, "main")
    with pytest.raises(RevisionNotFoundError):
        backend.commit_info(KEY, "0" * 40)


def test_last_commits(backend, repo):
    first = backend.resolve(KEY, "main")
    c_a = commit(backend, [put(backend, "a.txt", b"1"), put(backend, "d/x", b"x"), put(backend, "d/y", b"y")])
    c_b = commit(backend, [put(backend, "b.txt", b"1")])
    c_y = commit(backend, [put(backend, "d/y", b"y2")])
    commit(backend, [])  # an empty commit changes nothing
    c_b2 = commit(backend, [put(backend, "b.txt", b"2"), put(backend, "a.txt", b"1")])  # a.txt unchanged
    result = backend.last_commits(KEY, "main", [".gitattributes", "a.txt", "b.txt", "d", "d/x", "d/y", "no"])
    assert {p: c.id for p, c in result.items()} == {
        ".gitattributes": first,
        "a.txt": c_a,
        "b.txt": c_b2,
        "d": c_y,
        "d/x": c_a,
        "d/y": c_y,
    }
    assert backend.last_commits(KEY, c_y, ["b.txt"])["b.txt"].id == c_b


def test_last_commits_sees_deletion_and_recreation(backend, repo):
    commit(backend, [put(backend, "a", b"1")])
    commit(backend, [DeleteFile("a")])
    again = commit(backend, [put(backend, "a", b"1")])  # same content as two commits ago
    assert backend.last_commits(KEY, "main", ["a"])["a"].id == again


def test_path_log(backend, repo):
    c_a = commit(backend, [put(backend, "a.txt", b"1"), put(backend, "d/x", b"x")], message="a")
    commit(backend, [put(backend, "b.txt", b"1")], message="b")
    c_x = commit(backend, [put(backend, "d/x", b"x2")], message="x")
    c_mode = commit(backend, [put(backend, "a.txt", b"1", executable=True)], message="chmod")
    c_del = commit(backend, [DeleteFile("a.txt")], message="rm a")
    commit(backend, [])
    ids = lambda path, **kw: [c.id for c in backend.path_log(KEY, "main", path, **kw)]  # noqa: E731
    assert ids("a.txt") == [c_del, c_mode, c_a]  # deleted at main: its history is kept; a mode change counts
    assert ids("d") == ids("d/x") == [c_x, c_a]
    assert ids("a.txt", skip=1, limit=1) == [c_mode] and ids("a.txt", skip=3) == []
    assert ids("missing") == []
    assert [c.id for c in backend.path_log(KEY, c_x, "a.txt")] == [c_a]
    assert ids("") == [c.id for c in backend.log(KEY, "main")]  # the root: the whole history
    for bad in ("../a", "a//b", ".git"):
        with pytest.raises(BadRequestError):
            backend.path_log(KEY, "main", bad)
    with pytest.raises(RevisionNotFoundError):
        backend.path_log(KEY, "nope", "a.txt")


def test_diff_between_commits(backend, repo):
    root = backend.resolve(KEY, "main")
    c1 = commit(backend, [put(backend, "a.txt", b"one\n"), put(backend, "gone.txt", b"bye\n"),
                          put(backend, "same.txt", b"moved\n")])
    c2 = commit(backend, [put(backend, "a.txt", b"one\ntwo\n"), DeleteFile("gone.txt"), DeleteFile("same.txt"),
                          put(backend, "moved.txt", b"moved\n"), put(backend, "bin", b"\0\1")])
    diff = backend.diff(KEY, c1, c2, DiffLimits())
    by_path = {(f.new_path or f.old_path): f for f in diff.files}
    assert diff.total_files == 4 and not diff.truncated
    assert (by_path["a.txt"].status, by_path["a.txt"].additions, by_path["a.txt"].deletions) == ("modified", 1, 0)
    assert by_path["a.txt"].patch == "@@ -1 +1,2 @@\n one\n+two\n"
    assert (by_path["a.txt"].old_size, by_path["a.txt"].new_size) == (4, 8)
    assert by_path["gone.txt"].status == "deleted" and by_path["gone.txt"].new_oid is None
    assert (by_path["moved.txt"].status, by_path["moved.txt"].old_path) == ("renamed", "same.txt")
    assert by_path["bin"].binary and by_path["bin"].patch is None and by_path["bin"].status == "added"
    whole = backend.diff(KEY, None, root, DiffLimits())
    assert [(f.status, f.new_path) for f in whole.files] == [("added", ".gitattributes")]
    small = backend.diff(KEY, None, c2, DiffLimits(max_files=2))
    assert small.total_files == 4 and len(small.files) == 2 and small.truncated
    assert backend.diff(KEY, c2, c2, DiffLimits()).files == ()
    with pytest.raises(RevisionNotFoundError):
        backend.diff(KEY, "nope", c2, DiffLimits())


def test_commits_between_and_merge_base(backend, repo):
    fork = backend.resolve(KEY, "main")
    backend.create_branch(KEY, "dev", fork)
    d1 = commit(backend, [put(backend, "d", b"1")], branch="dev")
    d2 = commit(backend, [put(backend, "d", b"2")], branch="dev")
    m1 = commit(backend, [put(backend, "m", b"1")])
    found, more = backend.commits_between(KEY, "main", "dev", limit=10)
    assert [c.id for c in found] == [d2, d1] and not more
    assert [c.id for c in backend.commits_between(KEY, "main", "dev", limit=1)[0]] == [d2]
    assert backend.commits_between(KEY, "main", "dev", limit=1)[1] is True
    assert [c.id for c in backend.commits_between(KEY, "dev", "main", limit=10)[0]] == [m1]
    assert backend.merge_base(KEY, "main", "dev") == fork == backend.merge_base(KEY, "dev", "main")
    assert backend.merge_base(KEY, m1, fork) == fork


# --- concurrency -----------------------------------------------------------------------------------


def assert_linear(backend: VersioningBackend, expected_count: int) -> None:
    log = backend.log(KEY, "main", limit=expected_count + 10)
    assert len(log) == expected_count == backend.count_commits(KEY, "main")
    for newer, older in itertools.pairwise(log):
        assert newer.parents == (older.id,)
    assert log[-1].parents == ()


def test_concurrent_commits_from_threads(backend, repo):
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            op = put(backend, f"t/{i}.txt", str(i).encode())
            barrier.wait()
            commit(backend, [op], message=f"thread {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {p for p in files(backend) if p.startswith("t/")} == {f"t/{i}.txt" for i in range(20)}
    assert_linear(backend, 21)


def _process_worker(adapter: str, tmp: str, index: int, count: int, barrier) -> None:
    backend = ADAPTERS[adapter](Path(tmp))
    barrier.wait()
    for j in range(count):
        op = put(backend, f"p{index}/{j}.txt", f"{index}-{j}".encode())
        commit(backend, [op], message=f"process {index} commit {j}")


def test_concurrent_commits_from_processes(backend, repo, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_process_worker, args=(backend.adapter_name, str(tmp_path), i, 10, barrier))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * 4
    expected = {f"p{i}/{j}.txt" for i in range(4) for j in range(10)}
    assert {p for p in files(backend) if p.startswith("p")} == expected
    assert_linear(backend, 41)


def test_concurrent_batch_writes_and_commits(backend, repo):
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for j in range(3):
                ids = backend.write_blobs(KEY, many_blobs(60, tag=f"{i}-{j}-"))
                commit(backend, [PutFile(f"w{i}/{j}/{n}", oid) for n, oid in enumerate(ids)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tree = files(backend)
    assert all(tree[f"w{i}/{j}/{n}"] == data for i in range(6) for j in range(3)
               for n, data in enumerate(many_blobs(60, tag=f"{i}-{j}-")))
    assert_linear(backend, 19)


def test_readers_run_alongside_writers(backend, repo):
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(10):
                commit(backend, [put(backend, f"w{i}/{j}", b"x" * j)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                head = backend.resolve(KEY, "main")
                listing = list(backend.list_tree(KEY, head, recursive=True))
                assert listing and backend.log(KEY, head, limit=5)[0].id == head
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert_linear(backend, 41)


# --- pull requests ----------------------------------------------------------------------------------


def test_pull_request_ref_is_created_once_and_listed(backend, repo):
    main = backend.resolve(KEY, "main")
    backend.create_pull_request_ref(KEY, 1, "main")
    assert backend.resolve(KEY, "refs/pr/1") == main
    refs = backend.refs(KEY)
    assert refs.pull_requests == {1: main} and set(refs.branches) == {"main"}
    with pytest.raises(ConflictError):
        backend.create_pull_request_ref(KEY, 1, "main")
    with pytest.raises(RevisionNotFoundError):
        backend.create_pull_request_ref(KEY, 2, "no-such-branch")
    assert backend.refs(KEY).pull_requests == {1: main}


def test_commit_to_pull_request_starts_from_a_commit_and_leaves_main(backend, repo):
    main = backend.resolve(KEY, "main")
    first = backend.commit_to_pull_request(KEY, 3, operations=[put(backend, "pr.txt", b"pr")], message="pr 1",
                                           author=AUTHOR, start_point=main)
    assert backend.commit_info(KEY, first).parents == (main,)
    assert backend.resolve(KEY, "main") == main and "pr.txt" in files(backend, "refs/pr/3")
    with pytest.raises(ConflictError):  # the ref exists now: a start point would overwrite it
        backend.commit_to_pull_request(KEY, 3, operations=[], message="again", author=AUTHOR, start_point=main)
    second = backend.commit_to_pull_request(KEY, 3, operations=[put(backend, "b.txt", b"b")], message="pr 2",
                                            author=AUTHOR, expected_head=first[:7])
    with pytest.raises(StaleParentError):
        backend.commit_to_pull_request(KEY, 3, operations=[], message="stale", author=AUTHOR, expected_head=first)
    with pytest.raises(RevisionNotFoundError):  # no such ref and no start point
        backend.commit_to_pull_request(KEY, 4, operations=[], message="x", author=AUTHOR)
    with pytest.raises(EntryNotFoundError):  # a failed commit moves nothing
        backend.commit_to_pull_request(KEY, 3, operations=[DeleteFile("missing")], message="x", author=AUTHOR)
    assert backend.resolve(KEY, "refs/pr/3") == second
    assert backend.refs(KEY).pull_requests == {3: second}


def test_merge_fast_forwards_when_the_branch_did_not_move(backend, repo):
    main = backend.resolve(KEY, "main")
    head = backend.commit_to_pull_request(KEY, 1, operations=[put(backend, "f.txt", b"f")], message="f",
                                          author=AUTHOR, start_point=main)
    assert backend.is_ancestor(KEY, main, head) and not backend.is_ancestor(KEY, head, main)
    assert backend.merge_conflicts(KEY, main, head) == []
    outcome = backend.merge(KEY, branch="main", source="refs/pr/1", message="merge", author=AUTHOR)
    assert outcome.fast_forward and outcome.commit == head == backend.resolve(KEY, "main")
    again = backend.merge(KEY, branch="main", source=head, message="merge", author=AUTHOR)
    assert again.fast_forward and again.commit == head  # already contained: nothing changes


def test_merge_writes_a_merge_commit_when_both_sides_moved(backend, repo):
    commit(backend, [put(backend, "shared.txt", b"one\ntwo\nthree\n")])
    base = backend.resolve(KEY, "main")
    pr = backend.commit_to_pull_request(KEY, 1, operations=[put(backend, "shared.txt", b"ONE\ntwo\nthree\n"),
                                                             put(backend, "pr.txt", b"pr")],
                                        message="pr", author=AUTHOR, start_point=base)
    main = commit(backend, [put(backend, "shared.txt", b"one\ntwo\nTHREE\n"), put(backend, "m.txt", b"m")])
    outcome = backend.merge(KEY, branch="main", source=pr, message="Merge #1", author=AUTHOR)
    assert not outcome.fast_forward
    info = backend.commit_info(KEY, outcome.commit)
    assert info.parents == (main, pr) and info.title == "Merge #1"
    merged = files(backend, "main")
    assert merged["shared.txt"] == b"ONE\ntwo\nTHREE\n" and merged["pr.txt"] == b"pr" and merged["m.txt"] == b"m"


def test_merge_conflict_writes_nothing(backend, repo):
    commit(backend, [put(backend, "c.txt", b"base\n")])
    base = backend.resolve(KEY, "main")
    pr = backend.commit_to_pull_request(KEY, 1, operations=[put(backend, "c.txt", b"theirs\n")], message="pr",
                                        author=AUTHOR, start_point=base)
    main = commit(backend, [put(backend, "c.txt", b"ours\n")])
    assert backend.merge_conflicts(KEY, main, pr) == ["c.txt"]
    with pytest.raises(MergeConflictError) as raised:
        backend.merge(KEY, branch="main", source=pr, message="m", author=AUTHOR)
    assert raised.value.paths == ["c.txt"] and "c.txt" in raised.value.message
    assert backend.resolve(KEY, "main") == main and backend.resolve(KEY, "refs/pr/1") == pr


def test_merge_of_unrelated_histories_is_a_conflict(backend, repo):
    backend.create_pull_request_ref(KEY, 1, "main")
    pr = backend.commit_to_pull_request(KEY, 1, operations=[put(backend, "p.txt", b"p")], message="pr",
                                        author=AUTHOR)
    squashed = backend.squash(KEY, branch="main", message="squash", author=AUTHOR)
    commit(backend, [put(backend, "m.txt", b"m")])
    assert backend.merge_conflicts(KEY, "main", pr) is None
    with pytest.raises(MergeConflictError, match="share no history"):
        backend.merge(KEY, branch="main", source=pr, message="m", author=AUTHOR)
    assert backend.commit_info(KEY, "main").parents == (squashed,)
    with pytest.raises(RevisionNotFoundError):
        backend.merge(KEY, branch="gone", source=pr, message="m", author=AUTHOR)


# --- small blobs and dropping blobs from history ----------------------------------------------------


def test_small_blobs_names_each_blob_once_default_branch_first(backend, repo):
    commit(backend, [put(backend, "a/p.txt", b"pointer-like"), put(backend, "big.bin", b"x" * 5000)])
    backend.create_branch(KEY, "dev", backend.resolve(KEY, "main"))
    commit(backend, [put(backend, "dev-only.txt", b"dev"), put(backend, "again.txt", b"pointer-like")], branch="dev")
    found = {(ref, path): oid for ref, path, oid in backend.small_blobs(KEY, 1024)}
    by_oid = {}
    for (ref, path), oid in found.items():
        by_oid.setdefault(oid, []).append((ref, path))
    assert all(len(places) == 1 for places in by_oid.values())  # each blob once
    assert ("refs/heads/main", "a/p.txt") in found and ("refs/heads/dev", "dev-only.txt") in found
    assert not any(path == "big.bin" for _, path in found)  # over max_size
    assert not any(path == "again.txt" for _, path in found)  # same content as a/p.txt, seen on main first


def test_drop_blobs_rewrites_every_ref(backend, repo):
    first = commit(backend, [put(backend, "keep.txt", b"keep"), put(backend, "d/drop.txt", b"drop me")])
    second = commit(backend, [put(backend, "later.txt", b"later")])
    backend.create_tag(KEY, "v1", first, message="annotated", tagger=AUTHOR)
    backend.create_tag(KEY, "light", second, message=None, tagger=AUTHOR)
    backend.create_branch(KEY, "dev", first)
    initial = backend.log(KEY, "main")[-1].id
    drop = backend.write_blob(KEY, b"drop me")
    moved = backend.drop_blobs(KEY, [drop])
    assert sorted(moved) == ["refs/heads/dev", "refs/heads/main", "refs/tags/light", "refs/tags/v1"]
    for rev in ("main", "dev", "v1", "light"):
        assert "d/drop.txt" not in files(backend, rev) and "keep.txt" in files(backend, rev)
    assert files(backend, "main")["later.txt"] == b"later"
    assert backend.get_entry(KEY, backend.resolve(KEY, "main"), "d") is None  # the emptied folder is gone
    log = backend.log(KEY, "main")
    assert [c.message.strip() for c in log][:2] == ["update", "update"] and log[-1].id == initial
    assert backend.resolve(KEY, "v1") == backend.resolve(KEY, "dev") != first
    assert backend.drop_blobs(KEY, [drop]) == []  # nothing left to drop: nothing moves


def test_drop_blobs_rewrites_pull_request_refs(backend, repo):
    """refs/pr/N are refs like any other: a pull request that holds a dropped blob (started from a commit
    that had it, or adding it itself) is rewritten with the branches; one that never reached it stays."""
    with_blob = commit(backend, [put(backend, "drop.bin", b"drop me"), put(backend, "keep.txt", b"keep")])
    backend.create_pull_request_ref(KEY, 1, with_blob)
    untouched = backend.commit_to_pull_request(KEY, 2, operations=[put(backend, "other.txt", b"o")], message="pr 2",
                                               author=AUTHOR, start_point=backend.log(KEY, "main")[-1].id)
    own = backend.commit_to_pull_request(KEY, 3, operations=[put(backend, "pr-only.bin", b"pr only")],
                                         message="pr 3", author=AUTHOR, start_point=with_blob)
    drop = [backend.write_blob(KEY, b"drop me"), backend.write_blob(KEY, b"pr only")]
    moved = backend.drop_blobs(KEY, drop)
    assert sorted(moved) == ["refs/heads/main", "refs/pr/1", "refs/pr/3"]
    prs = backend.refs(KEY).pull_requests
    assert prs[1] == backend.resolve(KEY, "main") != with_blob and prs[2] == untouched and prs[3] != own
    for rev in ("refs/pr/1", "refs/pr/3"):
        assert "drop.bin" not in files(backend, rev) and files(backend, rev)["keep.txt"] == b"keep"
    assert "pr-only.bin" not in files(backend, "refs/pr/3")
    assert backend.commit_info(KEY, prs[3]).parents == (prs[1],)  # the pull request's commit sits on the new main
    assert backend.is_ancestor(KEY, prs[1], prs[3]) and not backend.is_ancestor(KEY, with_blob, prs[3])


# --- .gitignore rules ------------------------------------------------------------------------------


IGNORE_RULES = """# comment
nested/*
*.log
!keep.log
/root-only.txt
build/
docs/**/*.tmp
\\#literal-hash
"""


@pytest.mark.parametrize(("path", "ignored"), [
    ("nested/file.bin", True),
    ("nested/sub/deep.bin", True),  # its parent directory is ignored
    ("a.log", True),
    ("sub/dir/b.log", True),
    ("keep.log", False),  # re-included by "!keep.log"
    ("sub/keep.log", False),
    ("root-only.txt", True),
    ("sub/root-only.txt", False),  # anchored to the root
    ("build/x", True),
    ("x/build/y/z", True),
    ("build", False),  # "build/" matches directories only
    ("docs/a/b/c.tmp", True),
    ("docs/c.tmp", True),  # "**/" matches no directory too
    ("normal.txt", False),
    ("a\\b.log", True),  # a backslash is part of the name
    ("#literal-hash", True),
    ("# comment", False),
    (".gitignore", False),
])
def test_ignored_paths_follow_git(backend: VersioningBackend, path: str, ignored: bool) -> None:
    assert (path in backend.ignored_paths(IGNORE_RULES, [path, "other.txt"])) is ignored
    # The same answers when asked for many paths at once.
    many = backend.ignored_paths(IGNORE_RULES, [path] + [f"bulk/{i}.log" for i in range(500)])
    assert (path in many) is ignored and len(many) == 500 + ignored


def test_no_rules_ignore_nothing(backend: VersioningBackend) -> None:
    assert backend.ignored_paths("", ["a.log"]) == set()
    assert backend.ignored_paths("*\n", []) == set()
    assert backend.ignored_paths("*\n", ["a", "b/c"]) == {"a", "b/c"}


# --- git adapter only ------------------------------------------------------------------------------


@pytest.fixture
def git_backend(tmp_path: Path) -> GitBackend:
    backend = GitBackend(tmp_path / "repos")
    backend.init_repo(KEY)
    commit(backend, [put(backend, ".gitattributes", b"*.bin filter=lfs\n")], create_branch=True)
    return backend


def git(backend: GitBackend, *args: str, input: bytes | None = None, text: bool = True) -> str | bytes:
    """Run git on the repo; stdout stripped (as bytes, unstripped, when ``text`` is false)."""
    result = subprocess.run(
        ["git", "--git-dir", str(backend.repo_path(KEY)), *args],
        input=input,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip() if text else result.stdout


def test_ids_are_real_git_ids(git_backend):
    b = git_backend
    cid = commit(b, [put(b, "dir/file.txt", b"content\n"), put(b, "run", b"x", executable=True)])
    b.create_branch(KEY, "dev", cid)
    b.create_tag(KEY, "v1", cid, message="annotated", tagger=AUTHOR)
    assert git(b, "rev-parse", "main") == cid == git(b, "rev-parse", "dev") == git(b, "rev-parse", "v1^{}")
    assert git(b, "cat-file", "-t", "v1") == "tag"
    assert git(b, "rev-parse", "main:dir/file.txt") == b.get_entry(KEY, "main", "dir/file.txt").oid
    assert git(b, "rev-parse", "main:dir") == b.get_entry(KEY, "main", "dir").oid
    assert git(b, "rev-parse", "main^{tree}") == b.get_entry(KEY, "main", "").oid
    assert git(b, "cat-file", "-p", "main:dir/file.txt") == "content"
    assert "100755 blob" in git(b, "ls-tree", "main", "run")
    assert git(b, "log", "--format=%an <%ae>|%s", "-1", "main") == "Ada Lovelace <ada@example.com>|update"
    assert git(b, "symbolic-ref", "HEAD") == "refs/heads/main"
    git(b, "fsck", "--strict", "--no-dangling")


def test_git_listing_order_matches_git_ls_tree(git_backend):
    b = git_backend
    commit(b, [put(b, p, b"x") for p in TREE_FILES if p != "a"] + [put(b, "a/x", b"x")])
    ours = [e.path for e in b.list_tree(KEY, "main", recursive=True)]
    theirs = git(b, "ls-tree", "-r", "-t", "--name-only", "main").splitlines()
    assert ours == theirs


def test_repo_layout_and_key_validation(git_backend, tmp_path):
    assert git_backend.repo_path(KEY) == tmp_path / "repos" / KEY[:2] / f"{KEY}.git"
    for bad in ("", "UPPER", "a/b", "..", "x" * 65, "a.b"):
        with pytest.raises(ValueError):
            git_backend.repo_path(bad)


def test_pull_request_refs_resolve_but_are_not_branches(git_backend):
    b = git_backend
    cid = commit(b, [put(b, "pr.txt", b"pr")], branch="pr-branch", create_branch=True)
    git(b, "update-ref", "refs/pr/1", cid)
    b.delete_branch(KEY, "pr-branch")
    assert b.resolve(KEY, "refs/pr/1") == cid
    assert set(b.refs(KEY).branches) == {"main"}


def test_repo_lock_is_reentrant(git_backend):
    b = git_backend
    with b.repo_lock(KEY):
        cid = commit(b, [put(b, "locked.txt", b"x")])
    assert b.resolve(KEY, "main") == cid


def test_recreated_repo_does_not_serve_stale_objects(git_backend):
    b = git_backend
    old = commit(b, [put(b, "old.txt", b"old")])
    git(b, "gc", "--quiet")  # pack everything: a stale pack handle would still find `old`
    assert b.resolve(KEY, old) == old
    b.delete_repo(KEY)
    b.init_repo(KEY)
    with pytest.raises(RevisionNotFoundError):
        b.resolve(KEY, old)
    with pytest.raises(NotFoundError):
        b.read_blob(KEY, git_blob_id(b"old"))


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _die_before_ref_update(root: str) -> None:
    """Child process: build a commit, then die (SIGKILL-like) right before the branch moves."""
    import os

    from kohakuhub.versioning.git import backend as backend_module

    backend_module.move_ref = lambda *args, **kwargs: os._exit(9)
    b = GitBackend(Path(root) / "repos")
    commit(b, [put(b, "lost.txt", b"never published")])


def test_a_writer_killed_mid_commit_leaves_the_branch_and_lock_intact(git_backend, tmp_path):
    b = git_backend
    head = b.resolve(KEY, "main")
    proc = multiprocessing.get_context("spawn").Process(target=_die_before_ref_update, args=(str(tmp_path),))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 9
    assert b.resolve(KEY, "main") == head  # the orphan commit object is unreachable, the ref untouched
    after = commit(b, [put(b, "next.txt", b"n")])  # the dead process's flock died with it
    assert b.commit_info(KEY, after).parents == (head,)
    git(b, "fsck", "--strict", "--no-dangling")


# --- git adapter: blob batches as packs, pack consolidation ----------------------------------------


def test_write_blobs_are_git_blobs_in_one_pack(git_backend):
    b = git_backend
    packs = b.pack_count(KEY)
    small = b.write_blobs(KEY, [b"loose %d" % i for i in range(b.pack_min_blobs - 1)])
    assert b.pack_count(KEY) == packs  # below the threshold: loose objects, as write_blob
    blobs = many_blobs(500) + [bytes(range(256)) * 4000]
    ids = b.write_blobs(KEY, blobs)
    assert b.pack_count(KEY) == packs + 1
    for data in (blobs[0], blobs[3], blobs[-1]):
        assert git(b, "hash-object", "--stdin", input=data) == ids[blobs.index(data)]
    assert git(b, "cat-file", "-p", ids[-1], text=False) == blobs[-1]
    commit(b, [PutFile(f"f/{i}", oid) for i, oid in enumerate(ids + small)])
    git(b, "fsck", "--strict", "--no-dangling")
    assert git(b, "cat-file", "-p", f"main:f/{len(blobs) - 1}", text=False) == blobs[-1]


def test_many_packs_are_consolidated_in_the_background(tmp_path):
    b = GitBackend(tmp_path / "repos", pack_min_blobs=2, max_packs=3)
    b.init_repo(KEY)
    contents: dict[str, bytes] = {}
    counts = []
    for n in range(8):
        batch = {f"c{n}/{i}.txt": b"commit %d file %d\n" % (n, i) for i in range(5)}
        ids = b.write_blobs(KEY, list(batch.values()))
        commit(b, [PutFile(path, oid) for path, oid in zip(batch, ids)], create_branch=n == 0)
        contents |= batch
        b.join_maintenance(timeout=60)
        counts.append(b.pack_count(KEY))
    assert max(counts) <= 3 and counts[:3] == [1, 2, 3]  # 4 packs were rolled up each time
    assert files(b) == contents
    git(b, "fsck", "--strict", "--no-dangling")


def test_consolidation_keeps_blobs_of_commits_not_made_yet(git_backend):
    """The blobs of a commit still being received have no ref; a repack must not drop them."""
    b = git_backend
    b.max_packs = 1
    ids = b.write_blobs(KEY, [b"in flight %d" % i for i in range(40)])
    loose = b.write_blob(KEY, b"in flight, loose")
    more = b.write_blobs(KEY, [b"second batch %d" % i for i in range(40)])
    assert b.pack_count(KEY) == 2
    assert b.consolidate(KEY) is True
    assert b.pack_count(KEY) == 1
    commit(b, [PutFile(f"late/{i}", oid) for i, oid in enumerate([*ids, loose, *more])])
    assert files(b)["late/40"] == b"in flight, loose"
    git(b, "fsck", "--strict", "--no-dangling")
    assert b.consolidate(KEY) is False  # nothing to do at or below the limit


def test_readers_keep_working_while_packs_are_consolidated(tmp_path):
    b = GitBackend(tmp_path / "repos", pack_min_blobs=2, max_packs=2)
    b.init_repo(KEY)
    first = [b"first %d" % i for i in range(10)]
    ids = b.write_blobs(KEY, first)
    commit(b, [PutFile(f"a/{i}", oid) for i, oid in enumerate(ids)], create_branch=True)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():  # bounded by the writer below
                assert [b.read_blob(KEY, oid) for oid in ids] == first
                assert len([e for e in b.list_tree(KEY, "main", recursive=True) if e.type == "file"]) >= 10
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for n in range(12):
            batch = b.write_blobs(KEY, [b"commit %d file %d" % (n, i) for i in range(4)])
            commit(b, [PutFile(f"b/{n}/{i}", oid) for i, oid in enumerate(batch)])
        b.join_maintenance(timeout=60)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert b.pack_count(KEY) <= 2
    assert len(files(b)) == 10 + 12 * 4


def test_a_failed_consolidation_is_logged_and_commits_go_on(git_backend, monkeypatch, caplog):
    b = git_backend
    b.max_packs = 0
    monkeypatch.setenv("PATH", "/nonexistent")  # no git binary
    ids = b.write_blobs(KEY, [b"%d" % i for i in range(40)])
    with caplog.at_level("WARNING"):
        commit(b, [PutFile("x", ids[0])])
        b.join_maintenance(timeout=60)
    assert "git repack" in caplog.text
    assert files(b)["x"] == b"0"
