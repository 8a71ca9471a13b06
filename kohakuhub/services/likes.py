"""Likes: a signed-in user likes a repo they may read; anyone who may read it sees its likers, and a user's
liked repos are public, each listed only to those who may see that repo."""

from __future__ import annotations

from kohakuhub.db.likes import (
    LikedRepo,
    Liker,
    add_like,
    count_repos_liked_by,
    likers_of_repo,
    likes_repo,
    remove_like,
    repos_liked_by,
)
from kohakuhub.errors import ForbiddenError, LoginRequiredError
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.auth import Caller
from kohakuhub.services.repos import RepoService, viewer_of
from kohakuhub.types import RepoType


class LikeService:
    """Likes of repos by users."""

    def __init__(self, repos: RepoService, accounts: AccountService) -> None:
        self._repos = repos
        self._accounts = accounts

    @staticmethod
    def _liker(caller: Caller | None, action: str) -> Caller:
        if caller is None:
            raise LoginRequiredError(f"You must be signed in to {action} a repo")
        if not caller.can_write:
            raise ForbiddenError(f"A read token cannot {action} a repo")
        return caller

    def like(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str) -> bool:
        """Like a repo the caller may read (again: no change); return whether it is new.

        Raises:
            LoginRequiredError, ForbiddenError (read token), RepoNotFoundError (as RepoService.get).
        """
        caller = self._liker(caller, "like")
        ref = self._repos.get(caller, repo_type, namespace, name)
        return add_like(ref.row.id, caller.user_id)

    def unlike(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str) -> bool:
        """Take the caller's like back (none: no change); return whether there was one.

        Raises:
            LoginRequiredError, ForbiddenError (read token), RepoNotFoundError (as RepoService.get).
        """
        caller = self._liker(caller, "unlike")
        ref = self._repos.get(caller, repo_type, namespace, name)
        return remove_like(ref.row.id, caller.user_id)

    def likers(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str, *,
               offset: int, limit: int) -> list[Liker]:
        """A page of the repo's likers (``limit + 1`` rows). Raises RepoNotFoundError as RepoService.get."""
        ref = self._repos.get(caller, repo_type, namespace, name)
        return likers_of_repo(ref.row.id, offset=offset, limit=limit)

    def like_state(self, caller: Caller | None, repo_type: RepoType, namespace: str,
                   name: str) -> tuple[bool, int]:
        """Whether the caller likes the repo (False for anonymous), and how many users do.

        Raises:
            RepoNotFoundError: as RepoService.get.
        """
        ref = self._repos.get(caller, repo_type, namespace, name)
        liked = caller is not None and likes_repo(ref.row.id, caller.user_id)
        return liked, self._repos.stats_of([ref.row])[ref.row.id].likes

    def liked_repos(self, caller: Caller | None, username: str, *, offset: int, limit: int) -> list[LikedRepo]:
        """A page of the repos ``username`` likes that the caller may see (``limit + 1`` rows).

        Raises:
            NotFoundError: no such user (organizations do not like).
        """
        user = self._accounts.get_user(username)
        return repos_liked_by(user.id, viewer_of(caller), offset=offset, limit=limit)

    def count_liked(self, caller: Caller | None, user_id: int) -> int:
        """How many repos the user likes that the caller may see."""
        return count_repos_liked_by(user_id, viewer_of(caller))
