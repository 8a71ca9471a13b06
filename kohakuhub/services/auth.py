"""Who is calling, and the one authorization decision for repos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum


class Access(IntEnum):
    """What a caller may do with a repo; higher includes lower.

    READ is the repo's metadata (info, tree, refs, commits); DOWNLOAD adds its content (files, LFS objects,
    git clone, diffs, Xet read tokens). They differ only on a gated repo, where a reader needs an accepted
    access request to download; writers are never gated.
    """

    NONE = 0
    READ = 1
    DOWNLOAD = 2
    WRITE = 3
    ADMIN = 4


# Organization roles, weakest first (upstream KohakuHub's names), and what each grants on the org's repos.
ORG_ROLES = ("visitor", "member", "admin", "super-admin")
ORG_ROLE_ACCESS = {"visitor": Access.READ, "member": Access.WRITE, "admin": Access.ADMIN,
                   "super-admin": Access.ADMIN}
# Repo collaborator roles (as HF's): a grant on one repo.
COLLABORATOR_ROLES = ("read", "write")
COLLABORATOR_ACCESS = {"read": Access.READ, "write": Access.WRITE}


@dataclass(frozen=True)
class Caller:
    """An authenticated user, as seen by the services.

    ``token_role`` is the role of the API token used ("read" or "write"), or None for a browser session,
    which carries the user's full rights. ``session_id`` is the login session's id for session callers.
    """

    user_id: int
    username: str
    is_admin: bool = False
    token_role: str | None = None
    token_name: str | None = None
    session_id: int | None = None

    @property
    def can_write(self) -> bool:
        """A read token never writes, whatever the user may do."""
        return self.token_role != "read"

    @property
    def ceiling(self) -> Access:
        """The most this credential may ever do: a read token reads and downloads, never writes."""
        return Access.ADMIN if self.can_write else Access.DOWNLOAD


@dataclass(frozen=True)
class Grants:
    """A caller's standing towards one repo beyond ownership: org role, collaborator role (or None), and
    whether their access request to the repo (if it is gated) was accepted."""

    org_role: str | None = None
    collaborator_role: str | None = None
    gate_accepted: bool = False


NO_GRANTS = Grants()


def repo_access(caller: Caller | None, *, namespace: str, private: bool, need: Access = Access.ADMIN,
                grants: Callable[[], Grants] = lambda: NO_GRANTS, gated: bool = False) -> Access:
    """The single permission decision for (caller, repo).

    Site admins and the namespace's own user hold ADMIN; otherwise the caller's org role in ``namespace``
    and collaborator role on the repo raise the public baseline (DOWNLOAD for public repos, NONE for private
    ones). Reading a gated repo's content needs WRITE or an accepted access request: readers without one
    stop at READ (metadata). The credential caps the result (a read token never exceeds DOWNLOAD).

    ``grants`` looks the org role, collaborator role and access request up; it is called only when its
    answer can change the decision, so anonymous callers, owners, site admins and any download of a public
    ungated repo cost no query. The answer is exact up to ``need``: once the baseline reaches ``need``, a
    higher grant is not looked up.
    """
    baseline = Access.NONE if private else (Access.READ if gated else Access.DOWNLOAD)
    if caller is None:
        return baseline
    ceiling = caller.ceiling
    if caller.is_admin or caller.username.lower() == namespace.lower():
        return ceiling
    if ceiling <= baseline or need <= baseline:  # no grant could change what the caller asked
        return baseline
    found = grants()
    level = max(baseline, ORG_ROLE_ACCESS.get(found.org_role or "", Access.NONE),
                COLLABORATOR_ACCESS.get(found.collaborator_role or "", Access.NONE))
    if level == Access.READ and (not gated or found.gate_accepted):
        level = Access.DOWNLOAD  # a reader downloads unless the gate holds them back
    return min(level, ceiling)


def org_role_access(caller: Caller, org_role: str | None) -> Access:
    """What the caller may do in an organization's namespace itself (create repos, manage members)."""
    if caller.is_admin:
        return caller.ceiling
    return min(ORG_ROLE_ACCESS.get(org_role or "", Access.NONE), caller.ceiling)


def may_create_in(caller: Caller, namespace: str, org_role: str | None = None) -> bool:
    """Whether the caller may create or move a repo into ``namespace``.

    Their own namespace, any namespace for a site admin, or an org where they hold write (member and up);
    never with a read token.
    """
    if not caller.can_write:
        return False
    if caller.is_admin or caller.username.lower() == namespace.lower():
        return True
    return org_role_access(caller, org_role) >= Access.WRITE
