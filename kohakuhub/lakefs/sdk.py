"""The lakeFS mirror target on a real lakeFS server, through the ``lakefs-sdk`` package (the only importer).

Every SDK or connection failure becomes a MirrorError carrying lakeFS's status and message, so the mirror
records it and retries; nothing here raises anything else for a server's answer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import lakefs_sdk
import urllib3
from lakefs_sdk.exceptions import ApiException, NotFoundException, OpenApiException

from kohakuhub.lakefs.base import COMMIT_KEY, OID_KEY, REPO_KEY, CommitSpec, Head, MirrorError, MirrorTarget, PutObject

T = TypeVar("T")
PAGE = 1000
DELETE_BATCH = 1000  # lakeFS's limit of paths per delete_objects call
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 300.0


def _call(what: str, func: Callable[[], T]) -> T:
    """Run one SDK call; any failure becomes a MirrorError naming ``what``.

    Raises:
        MirrorError: lakeFS answered with an error, or could not be reached.
    """
    try:
        return func()
    except ApiException as exc:
        raise MirrorError(f"lakeFS refused to {what}: {exc.status} {(exc.body or exc.reason or '')[:500]}") from exc
    except (OpenApiException, OSError, ValueError) as exc:
        raise MirrorError(f"lakeFS could not {what}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # urllib3's connection errors and the like
        raise MirrorError(f"lakeFS could not {what}: {type(exc).__name__}: {exc}") from exc


def _oid_of(metadata: dict[str, str]) -> str | None:
    """The git blob id in an object's user metadata. Matched loosely: an upload's ``X-Lakefs-Meta-*`` header
    may come back under the header's name, a link's under the key given; a miss only costs a re-upload."""
    return next((value for name, value in metadata.items() if name.lower().endswith(OID_KEY)), None)


def _missing_ok(what: str, func: Callable[[], object]) -> None:
    try:
        func()
    except NotFoundException:
        return
    except Exception:
        _call(what, func)  # re-run to map the error (a second attempt of an idempotent delete)


class LakefsTarget(MirrorTarget):
    """A lakeFS server at ``endpoint`` (``http://host:8000``), repos in ``storage_namespace`` (with ``{repo}``)."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, storage_namespace: str,
                 spool_dir: str | None = None) -> None:
        config = lakefs_sdk.Configuration(host=f"{endpoint.rstrip('/')}/api/v1", username=access_key,
                                          password=secret_key)
        self._client = lakefs_sdk.ApiClient(config)
        # urllib3 waits forever by default: a lakeFS that stops answering must not hold the drainer (and the
        # repo's lease) for good. Reads may be long (a big upload's answer), connects never are.
        self._client.rest_client.pool_manager.connection_pool_kw["timeout"] = urllib3.Timeout(
            connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS)
        self._namespace = storage_namespace
        self._spool_dir = spool_dir
        self._repos = lakefs_sdk.RepositoriesApi(self._client)
        self._branches = lakefs_sdk.BranchesApi(self._client)
        self._tags = lakefs_sdk.TagsApi(self._client)
        self._commits = lakefs_sdk.CommitsApi(self._client)
        self._objects = lakefs_sdk.ObjectsApi(self._client)
        self._staging = lakefs_sdk.StagingApi(self._client)
        self._internal = lakefs_sdk.InternalApi(self._client)
        self._refs = lakefs_sdk.RefsApi(self._client)
        self._config = lakefs_sdk.ConfigApi(self._client)
        self._roots: dict[str, str] = {}

    def health(self) -> str:
        config = _call("report its version", self._config.get_config)
        version = config.version_config.version if config.version_config else "(version not given)"
        return f"lakeFS {version} answers"

    def ensure_repository(self, name: str, hub_key: str) -> str:
        try:
            return self._repos.get_repository(name).default_branch
        except NotFoundException:
            pass
        except Exception:
            _call(f"read repository {name}", lambda: self._repos.get_repository(name))
        creation = lakefs_sdk.RepositoryCreation(name=name, default_branch="main",
                                                 storage_namespace=self._namespace.format(repo=name))
        repo = _call(f"create repository {name}", lambda: self._repos.create_repository(creation))
        metadata = lakefs_sdk.RepositoryMetadataSet(metadata={REPO_KEY: hub_key})
        _call(f"set the metadata of {name}", lambda: self._internal.set_repository_metadata(name, metadata))
        return repo.default_branch

    def delete_repository(self, name: str) -> None:
        self._roots.pop(name, None)
        _missing_ok(f"delete repository {name}", lambda: self._repos.delete_repository(name))

    def _pages(self, what: str, fetch: Callable[[str], object]) -> Iterator:
        after = ""
        while True:
            page = _call(what, lambda: fetch(after))
            yield from page.results
            if not page.pagination.has_more:
                return
            after = page.pagination.next_offset

    def branches(self, name: str) -> dict[str, Head]:
        heads = {}
        for ref in self._pages(f"list the branches of {name}",
                               lambda after: self._branches.list_branches(name, after=after, amount=PAGE)):
            commit = _call(f"read commit {ref.commit_id}", lambda: self._commits.get_commit(name, ref.commit_id))
            heads[ref.id] = Head(ref.commit_id, (commit.metadata or {}).get(COMMIT_KEY))
        return heads

    def tags(self, name: str) -> dict[str, str]:
        return {ref.id: ref.commit_id for ref in self._pages(
            f"list the tags of {name}", lambda after: self._tags.list_tags(name, after=after, amount=PAGE))}

    def root_commit(self, name: str) -> str:
        if name not in self._roots:  # rarely asked (a history rewritten to a new root): walk once, keep it
            default = _call(f"read repository {name}", lambda: self._repos.get_repository(name)).default_branch
            last = None
            for commit in self._pages(f"read the history of {name}", lambda after: self._refs.log_commits(
                    name, default, after=after, amount=PAGE, first_parent=True)):
                last = commit.id
            if last is None:
                raise MirrorError(f"lakeFS repository {name} has no commit")
            self._roots[name] = last
        return self._roots[name]

    def create_branch(self, name: str, branch: str, source_commit: str) -> None:
        creation = lakefs_sdk.BranchCreation(name=branch, source=source_commit)
        _call(f"create branch {branch}", lambda: self._branches.create_branch(name, creation))

    def delete_branch(self, name: str, branch: str) -> None:
        _missing_ok(f"delete branch {branch}", lambda: self._branches.delete_branch(name, branch))

    def create_tag(self, name: str, tag: str, commit: str) -> None:
        creation = lakefs_sdk.TagCreation(id=tag, ref=commit)
        _call(f"create tag {tag}", lambda: self._tags.create_tag(name, creation))

    def delete_tag(self, name: str, tag: str) -> None:
        _missing_ok(f"delete tag {tag}", lambda: self._tags.delete_tag(name, tag))

    def files(self, name: str, branch: str) -> dict[str, str | None]:
        return {stat.path: _oid_of(stat.metadata or {}) for stat in self._pages(
            f"list the objects of {name}@{branch}",
            lambda after: self._objects.list_objects(name, branch, user_metadata=True, after=after, amount=PAGE))}

    def commit(self, name: str, branch: str, puts: Sequence[PutObject], deletes: Sequence[str],
               spec: CommitSpec) -> str:
        # A replay cut short may have left staged changes: drop them, then stage this commit's from scratch.
        reset = lakefs_sdk.ResetCreation(type="reset")
        _call(f"drop uncommitted changes on {branch}", lambda: self._branches.reset_branch(name, branch, reset))
        for put in puts:
            self._put(name, branch, put)
        for start in range(0, len(deletes), DELETE_BATCH):
            paths = lakefs_sdk.PathList(paths=list(deletes[start:start + DELETE_BATCH]))
            _call(f"delete objects on {branch}", lambda: self._objects.delete_objects(name, branch, paths))
        creation = lakefs_sdk.CommitCreation(message=spec.message or spec.hub_commit, metadata=spec.metadata,
                                             var_date=int(spec.date.timestamp()), allow_empty=True)
        return _call(f"commit {spec.hub_commit} on {branch}",
                     lambda: self._commits.commit(name, branch, creation)).id

    def _put(self, name: str, branch: str, put: PutObject) -> None:
        if put.physical_address is not None:
            metadata = lakefs_sdk.StagingMetadata(
                staging=lakefs_sdk.StagingLocation(physical_address=put.physical_address),
                checksum=put.checksum or "", size_bytes=put.size, user_metadata={OID_KEY: put.oid})
            _call(f"link {put.path}", lambda: self._staging.link_physical_address(name, branch, put.path, metadata))
            return
        with self._spooled(put) as path:  # the SDK uploads a file by name only
            _call(f"upload {put.path}", lambda: self._objects.upload_object(
                name, branch, put.path, content=path, _headers={f"X-Lakefs-Meta-{OID_KEY}": put.oid}))

    @contextmanager
    def _spooled(self, put: PutObject) -> Iterator[str]:
        fd, path = tempfile.mkstemp(prefix="khub-lakefs-", dir=self._spool_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in put.read():
                    out.write(chunk)
            yield path
        finally:
            os.unlink(path)
