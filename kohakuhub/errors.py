"""Domain errors. Services raise these; api/errors.py is the one place that maps them to HTTP.

Each class names the HF ``X-Error-Code`` it corresponds to (if any) only through that table, so this
module stays free of HTTP concerns.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub reports to a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- not found --------------------------------------------------------------------------------------


class NotFoundError(HubError):
    """Something other than a repo, revision or entry does not exist (a token, a user...)."""


class RepoNotFoundError(NotFoundError):
    """The repo does not exist, or the caller may not see it (the two are indistinguishable)."""

    def __init__(self, message: str = "Repository not found", *, anonymous: bool = False) -> None:
        super().__init__(message)
        self.anonymous = anonymous


class RevisionNotFoundError(NotFoundError):
    """A branch, tag or commit id does not resolve."""


class GatedRepoError(HubError):
    """The repo is gated and the caller has no accepted access request (the Hub's ``GatedRepo`` answer).

    Only callers who may read the repo ever get it: for anyone else a gated private repo stays missing.
    """

    def __init__(self, message: str, *, anonymous: bool = False) -> None:
        super().__init__(message)
        self.anonymous = anonymous


class EntryNotFoundError(NotFoundError):
    """A file or directory does not exist at the given revision."""

    def __init__(self, message: str, *, commit: str | None = None) -> None:
        super().__init__(message)
        self.commit = commit


# --- bad input -------------------------------------------------------------------------------------


class BadRequestError(HubError):
    """The request is malformed (400)."""


class InvalidRepoIdError(BadRequestError):
    """A namespace or repo name breaks the repo-id rules."""


class InvalidRevisionError(BadRequestError):
    """A branch or tag name is not acceptable."""


class InvalidPathError(HubError):
    """A file path inside a repo is hostile or malformed (422, as the Hub answers)."""


class IntegrityError(BadRequestError):
    """Uploaded bytes do not match the announced sha256 or size."""


class PayloadTooLargeError(HubError):
    """A body or a field is larger than the configured limit (413)."""


class QuotaExceededError(PayloadTooLargeError):
    """A write would take a namespace's storage over its quota (413)."""


class RangeNotSatisfiableError(HubError):
    """A Range header lies outside the file (416)."""

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size


# --- state conflicts --------------------------------------------------------------------------------


class ConflictError(HubError):
    """The target already exists or the operation conflicts with current state (409)."""


class MergeConflictError(ConflictError):
    """A merge would need a human: the same lines (or a file and its deletion) changed on both sides."""

    def __init__(self, message: str, *, paths: list[str]) -> None:
        super().__init__(message)
        self.paths = paths


class RepoExistsError(ConflictError):
    """create_repo on an existing id; the API adds the repo URL the client needs for exist_ok."""

    def __init__(self, message: str, *, repo_type: str, repo_id: str) -> None:
        super().__init__(message)
        self.repo_type = repo_type
        self.repo_id = repo_id


class RepoMovedError(HubError):
    """The repo was moved; the caller is redirected to its new id."""

    def __init__(self, *, old_id: str, new_id: str) -> None:
        super().__init__(f"Repository moved to {new_id}")
        self.old_id = old_id
        self.new_id = new_id


class StaleParentError(HubError):
    """parentCommit is not the branch head any more (412)."""

    def __init__(self) -> None:
        super().__init__(
            "The branch was updated since you opened this page. Please refresh and try again."
        )


# --- authentication and authorization -------------------------------------------------------------


class AuthenticationError(HubError):
    """Credentials were given but are invalid or expired (401 without an error code)."""

    def __init__(self, message: str = "Invalid credentials in Authorization header") -> None:
        super().__init__(message)


class LoginRequiredError(HubError):
    """The action needs a signed-in caller and none was given (401)."""


class ForbiddenError(HubError):
    """The caller is known but may not do this (403)."""


class RateLimitedError(HubError):
    """Too many attempts; the caller may retry after ``retry_after`` seconds (429)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(HubError):
    """A setting is missing or invalid; raised at start-up."""


class ServiceUnavailableError(HubError):
    """A backend the hub needs (the metadata database) is unreachable; nothing was changed and the
    request may be retried (503 with ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageUnavailableError(ServiceUnavailableError):
    """The blob store (S3) cannot be reached or failed; nothing was written and the caller may retry (503)."""

    def __init__(self, message: str = "The storage backend is temporarily unavailable; retry later", *,
                 retry_after: int = 5) -> None:
        super().__init__(message, retry_after=retry_after)
