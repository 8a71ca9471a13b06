"""Discussions and pull requests as conversations: listing, details with every event, comments, titles,
statuses (the Hub's Community tab; ``huggingface_hub``'s ``*_discussion*`` methods).

Permission rules (as on the Hub): reading needs read access to the repo (a pull request's changes,
download access: see services/pull_requests.py); taking part (opening, commenting) needs a signed-in
caller with a write-capable credential; the author of a discussion or a
repo writer may rename it and change its status; a comment's author edits it; its author or a repo writer
hides it; merging needs write access (services/pull_requests.py). Site admins may do everything.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from kohakuhub.db import discussions as db
from kohakuhub.errors import BadRequestError, ConflictError, ForbiddenError, LoginRequiredError, NotFoundError
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.pull_requests import MAX_TITLE, PullRequestService, PullRequestState
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.types import DiscussionEventInfo, DiscussionInfo, Person
from kohakuhub.versioning.base import VersioningBackend

PAGE_SIZE = 50  # the Hub's page of get_repo_discussions
MIN_TITLE = 3
MAX_COMMENT = 65_536
TYPE_FILTERS = {"all": None, "discussion": False, "pull_request": True}
STATUS_FILTERS = {"all": None, "open": ("open", "draft"), "closed": ("closed", "merged"), "merged": ("merged",),
                  "draft": ("draft",)}
_HEX24 = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class DiscussionPage:
    items: list[DiscussionInfo]
    total: int
    start: int


@dataclass(frozen=True)
class DiscussionDetails:
    """A discussion with its events in order (commits of a pull request among them) and, for a pull
    request, its git state."""

    info: DiscussionInfo
    events: list[DiscussionEventInfo]
    pull_request: PullRequestState | None


def _text(value: object, what: str, *, limit: int = MAX_COMMENT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"The {what} must be a non-empty string")
    if len(value) > limit or "\0" in value:
        raise BadRequestError(f"The {what} must be at most {limit} characters, without NUL")
    return value


def _title(value: object) -> str:
    if not isinstance(value, str) or not MIN_TITLE <= len(value.strip()) <= MAX_TITLE or "\0" in value:
        raise BadRequestError(f"A title must be {MIN_TITLE} to {MAX_TITLE} characters (surrounding spaces "
                              "are not counted)")
    return value.strip()


class DiscussionService:
    """Discussions of repos; ``RepoRef`` arguments were checked for (at least) read access."""

    def __init__(self, versioning: VersioningBackend, repos: RepoService, pull_requests: PullRequestService) -> None:
        self._git = versioning
        self._repos = repos
        self.pull_requests = pull_requests

    # --- reading ---------------------------------------------------------------------------------

    def list_discussions(self, repo: RepoRef, *, author: str | None, kind: str | None, status: str | None,
                         search: str | None, page: int) -> DiscussionPage:
        """A page of discussions, newest first.

        Raises:
            BadRequestError: an unknown type or status filter.
        """
        if (kind or "all") not in TYPE_FILTERS:
            raise BadRequestError(f"Unknown type {kind!r}: use one of {', '.join(TYPE_FILTERS)}")
        for what, value in (("author", author), ("search", search)):
            if value is not None and (len(value) > MAX_TITLE or "\0" in value):
                raise BadRequestError(f"{what} must be at most {MAX_TITLE} characters, without NUL")
        if (status or "all") not in STATUS_FILTERS:
            raise BadRequestError(f"Unknown status {status!r}: use one of {', '.join(STATUS_FILTERS)}")
        items, total = db.list_discussions(repo.row.id, author=author or None,
                                           pull_requests=TYPE_FILTERS[kind or "all"],
                                           statuses=STATUS_FILTERS[status or "all"], search=search or None,
                                           offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        return DiscussionPage(items, total, page * PAGE_SIZE)

    def details(self, caller: Caller | None, repo: RepoRef, num: int) -> DiscussionDetails:
        """A discussion with every event; a pull request's commits are events too.

        A pull request's details show its changes (files, diff): content, so they need download access,
        which a gated repo's readers hold only with an accepted access request.

        Raises:
            NotFoundError: no such discussion.
            GatedRepoError: a pull request of a gated repo the caller may not download.
        """
        info = self._find(repo, num)
        events = db.events_of(info.id)
        state = None
        if info.is_pull_request:
            state = self.pull_requests.state(self._repos.authorize(caller, repo, Access.DOWNLOAD), info)
            if state.comparison is not None:
                commits = [DiscussionEventInfo(c.id[:24], "commit", Person(c.author_name), None, c.date, commit=c)
                           for c in reversed(state.comparison.commits)]
                # Git dates have whole seconds: a commit made with the pull request would sort before its
                # description. None sorts before the pull request itself; the sort is stable.
                events = sorted(events + commits, key=lambda e: max(_naive(e.created_at), info.created_at))
        return DiscussionDetails(info, events, state)

    def _find(self, repo: RepoRef, num: int) -> DiscussionInfo:
        found = db.find_discussion(repo.row.id, num)
        if found is None:
            raise NotFoundError(f"Discussion #{num} not found in {repo.type.value} {repo.id}")
        return found

    # --- taking part -----------------------------------------------------------------------------

    @staticmethod
    def _participant(caller: Caller | None) -> Caller:
        if caller is None:
            raise LoginRequiredError("You must be authenticated to do this")
        if not caller.can_write:
            raise ForbiddenError("This token is read-only: taking part in discussions needs a write token")
        return caller

    def _is_writer(self, caller: Caller, repo: RepoRef) -> bool:
        return self._repos.access(caller, repo.row, Access.WRITE) >= Access.WRITE

    def _author_or_writer(self, caller: Caller, repo: RepoRef, author_id: int | None, what: str) -> None:
        if caller.user_id != author_id and not self._is_writer(caller, repo):
            raise ForbiddenError(f"Only its author or someone who may write to {repo.id} can {what}")

    def create(self, caller: Caller | None, repo: RepoRef, *, title: object, description: object,
               pull_request: bool) -> DiscussionInfo:
        """Open a discussion, or a draft pull request (``refs/pr/<num>`` at the default branch's head).

        Raises:
            LoginRequiredError, ForbiddenError: anonymous, or a read-only token.
            BadRequestError: bad title or description.
            GatedRepoError: a pull request on a gated repo the caller may not download (a pull request
                starts from the repo's files).
        """
        caller = self._participant(caller)
        title = _title(title)
        blank = description is None or (isinstance(description, str) and not description.strip())
        text = None if blank else _text(description, "description")
        if pull_request:
            content = self._repos.authorize(caller, repo, Access.DOWNLOAD)
            return self.pull_requests.open_empty(caller, content, title=title, description=text)
        return db.insert_discussion(repo.row.id, author_id=caller.user_id, title=title, is_pull_request=False,
                                    status="open", description=text)

    def comment(self, caller: Caller | None, repo: RepoRef, num: int, text: object) -> DiscussionEventInfo:
        """Add a comment (closed discussions take comments too, as on the Hub)."""
        caller = self._participant(caller)
        content = _text(text, "comment")
        return db.add_comment(self._find(repo, num).id, caller.user_id, content)

    def rename(self, caller: Caller | None, repo: RepoRef, num: int, title: object) -> DiscussionEventInfo:
        """Change the title (its author or a writer)."""
        caller = self._participant(caller)
        info = self._find(repo, num)
        self._author_or_writer(caller, repo, info.author_id, "rename it")
        new = _title(title)
        if new == info.title:
            raise BadRequestError(f"Discussion #{num} already has this title")
        return db.rename_discussion(info.id, caller.user_id, new)

    def change_status(self, caller: Caller | None, repo: RepoRef, num: int, status: object,
                      comment: object = None) -> DiscussionEventInfo:
        """Close or (re)open a discussion; ``open`` publishes a draft pull request (its author or a writer).

        Raises:
            BadRequestError: a status other than open/closed, the status it already has, or a merged
                pull request. ForbiddenError: neither author nor writer.
        """
        caller = self._participant(caller)
        if status not in ("open", "closed"):
            raise BadRequestError(f"Invalid status {status!r}: use 'open' or 'closed'")
        info = self._find(repo, num)
        self._author_or_writer(caller, repo, info.author_id, "change its status")
        text = None if comment in (None, "") else _text(comment, "comment")
        # A pull request's status changes take the repo lock, as merges do, so neither overtakes the other.
        with self._git.repo_lock(repo.key) if info.is_pull_request else nullcontext():
            info = self._find(repo, num)
            if info.status == "merged":
                raise BadRequestError(f"Pull request #{num} is merged; its status can no longer change")
            if info.status == status:
                raise BadRequestError(f"Discussion #{num} is already {status}")
            events = db.change_status(info.id, caller.user_id, status, expected=(info.status,), comment=text)
        if events is None:
            raise ConflictError(f"The status of discussion #{num} changed meanwhile; reload it and try again")
        return events[-1]

    def merge(self, caller: Caller | None, repo: RepoRef, num: int,
              comment: object = None) -> tuple[DiscussionEventInfo, str]:
        """Merge a pull request (write access needed): its status change and the merge commit.

        Raises as PullRequestService.merge, and LoginRequiredError/ForbiddenError."""
        caller = self._participant(caller)
        writer = self._repos.writable(caller, repo)
        if writer is None:
            raise ForbiddenError(f"You don't have the rights to merge pull requests of {repo.type.value} {repo.id}")
        text = None if comment in (None, "") else _text(comment, "comment")
        events, commit = self.pull_requests.merge(caller, writer, num, text)
        return events[-1], commit

    # --- comments --------------------------------------------------------------------------------

    def _comment(self, repo: RepoRef, num: int, comment_id: str) -> tuple[DiscussionInfo, DiscussionEventInfo]:
        info = self._find(repo, num)
        found = None
        if isinstance(comment_id, str) and len(comment_id) == 24 and set(comment_id) <= _HEX24:
            found = db.find_comment(info.id, comment_id)
        if found is None:
            raise NotFoundError(f"Comment {comment_id!r} not found in discussion #{num}")
        return info, found

    def edit_comment(self, caller: Caller | None, repo: RepoRef, num: int, comment_id: str,
                     text: object) -> DiscussionEventInfo:
        """Replace a comment's text (its author only; the old text stays in its history).

        Raises:
            NotFoundError: no such comment. ForbiddenError: not its author. BadRequestError: hidden, or
                bad text.
        """
        caller = self._participant(caller)
        info, found = self._comment(repo, num, comment_id)
        if caller.user_id != found.author_id and not caller.is_admin:
            raise ForbiddenError("Only the author of a comment can edit it")
        if found.hidden:
            raise BadRequestError("This comment is hidden and can no longer be edited")
        content = _text(text, "comment")
        return db.edit_comment(info.id, comment_id, caller.user_id, content)

    def hide_comment(self, caller: Caller | None, repo: RepoRef, num: int, comment_id: str) -> DiscussionEventInfo:
        """Hide a comment for good, erasing its text (its author or a writer).

        Raises:
            NotFoundError: no such comment. ForbiddenError: neither author nor writer. BadRequestError:
                already hidden.
        """
        caller = self._participant(caller)
        info, found = self._comment(repo, num, comment_id)
        self._author_or_writer(caller, repo, found.author_id, "hide this comment")
        if found.hidden:
            raise BadRequestError("This comment is already hidden")
        return db.hide_comment(info.id, comment_id, caller.user_id)


def _naive(moment: datetime) -> datetime:
    """Datetimes from git carry a timezone, those from the database are naive UTC: compare them alike."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
