"""Organization memberships, repo collaborators and invitation links."""

from __future__ import annotations

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow
from kohakuhub.db.models.repos import Repo


class OrgMember(BaseModel):
    """A user's role in an organization: visitor | member | admin | super-admin."""

    id = AutoField()
    org = ForeignKeyField(User, backref="org_members", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="org_memberships", on_delete="CASCADE")
    role = CharField(max_length=16)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("org", "user"), True),)


class RepoCollaborator(BaseModel):
    """A user granted ``read`` or ``write`` on one repo."""

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="collaborators", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="collaborations", on_delete="CASCADE")
    role = CharField(max_length=16)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "user"), True),)


class Invitation(BaseModel):
    """An invitation link: to join an org with a role (kind "org") or to register (kind "register").

    Only the sha256 of the link's token is stored. ``max_uses`` None means unlimited.
    """

    id = AutoField()
    token_hash = CharField(max_length=64, unique=True)
    kind = CharField(max_length=16)
    org = ForeignKeyField(User, backref="invitations", on_delete="CASCADE", null=True)
    role = CharField(max_length=16, default="")
    created_by = ForeignKeyField(User, backref="created_invitations", on_delete="CASCADE")
    max_uses = IntegerField(null=True)
    uses = IntegerField(default=0)
    expires_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
