"""Which repos a viewer may see: the one visibility rule of every listing (repos, likes)."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from kohakuhub.db.models import OrgMember, Repo, RepoCollaborator, User


@dataclass(frozen=True)
class Viewer:
    """Who looks at a listing: None fields for an anonymous visitor."""

    user_id: int | None = None
    username: str | None = None
    is_admin: bool = False


ANONYMOUS = Viewer()


def visible_to(viewer: Viewer):
    """A condition on ``Repo`` rows: public ones, and private ones of the viewer's own namespace, of the
    organizations they belong to and those shared with them; every repo for a site admin (None: no
    condition)."""
    if viewer.is_admin:
        return None
    if viewer.user_id is None:
        return Repo.private == False  # noqa: E712 (peewee expression)
    org_keys = (User.select(User.username_key).join(OrgMember, on=(OrgMember.org == User.id))
                .where(OrgMember.user == viewer.user_id))
    shared = RepoCollaborator.select(RepoCollaborator.repo).where(RepoCollaborator.user == viewer.user_id)
    return ((Repo.private == False) | (fn.LOWER(Repo.namespace) == (viewer.username or "").lower())  # noqa: E712
            | fn.LOWER(Repo.namespace).in_(org_keys) | Repo.id.in_(shared))
