"""Profiles of users and organizations: who they are, what they own that the viewer may see, and what
their storage holds (with what Xet's chunk dedup saved)."""

from __future__ import annotations

from dataclasses import dataclass

from kohakuhub.db.profiles import repo_counts_seen_by, set_org_profile, xet_totals_of_namespace
from kohakuhub.errors import BadRequestError, LoginRequiredError
from kohakuhub.services.accounts import AccountService, clean_fullname
from kohakuhub.services.auth import Caller
from kohakuhub.services.orgs import MAX_DESCRIPTION, Membership, OrgService
from kohakuhub.services.quotas import QuotaService


@dataclass(frozen=True)
class XetSavings:
    files: int
    logical_bytes: int  # the files' sizes
    stored_bytes: int  # the xorb bytes they brought into storage

    @property
    def saved_bytes(self) -> int:
        return self.logical_bytes - self.stored_bytes


class ProfileService:
    """Read-only views across accounts, organizations and quotas."""

    def __init__(self, accounts: AccountService, orgs: OrgService, quotas: QuotaService) -> None:
        self._accounts = accounts
        self._orgs = orgs
        self._quotas = quotas

    def repo_counts(self, caller: Caller | None, namespace: str) -> dict[str, int]:
        """Repos per type ("model", "dataset", "space") of the namespace that the caller may see."""
        counts = repo_counts_seen_by(namespace, caller.user_id if caller else None,
                                     bool(caller and caller.is_admin))
        return {kind: counts.get(kind, 0) for kind in ("model", "dataset", "space")}

    def user(self, username: str):
        """Raises NotFoundError for an unknown user (organizations are not users)."""
        return self._accounts.get_user(username)

    def orgs_of_user(self, username: str) -> list[Membership]:
        return self._orgs.user_orgs(username)

    def org(self, name: str):
        """Raises NotFoundError for an unknown organization."""
        return self._orgs.get_org(name)

    def update_org(self, caller: Caller | None, name: str, *, fullname: str | None, description: str | None):
        """Change an organization's display name and/or description (its admins); return the org.

        Raises:
            NotFoundError: no such organization. LoginRequiredError: anonymous.
            ForbiddenError: not an admin of it, or a read token. BadRequestError: a bad value or nothing to change
            (nothing changes).
        """
        org = self._orgs.get_org(name)
        if caller is None:
            raise LoginRequiredError("You must be signed in to change an organization")
        self._orgs.require_org_admin(caller, org)
        if fullname is None and description is None:
            raise BadRequestError("Nothing to update: send 'fullname' and/or 'description'")
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise BadRequestError(f"Description longer than {MAX_DESCRIPTION} characters")
        set_org_profile(org.id, fullname=None if fullname is None else clean_fullname(fullname),
                        description=description)
        return self._orgs.get_org(name)

    def member_count(self, org) -> int:
        return self._orgs.count_members(org)

    def members(self, org_name: str) -> list[Membership]:
        return self._orgs.list_members(org_name)

    def storage(self, caller: Caller | None, namespace: str) -> tuple[dict, XetSavings]:
        """The namespace's quota answer and its Xet savings; only those who may see the quota see them.

        Raises:
            LoginRequiredError, NotFoundError: as QuotaService.get_quota.
        """
        quota = self._quotas.get_quota(caller, namespace)
        return quota, XetSavings(*xet_totals_of_namespace(quota["namespace"]))
