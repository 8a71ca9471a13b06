"""Every table of the hub."""

from kohakuhub.db.models.accounts import Session, Token, User
from kohakuhub.db.models.base import utcnow
from kohakuhub.db.models.lfs import LfsGrant, LfsObject, RepoLfsObject
from kohakuhub.db.models.quotas import NamespaceQuota, RepoUsage
from kohakuhub.db.models.repos import Repo, RepoRedirect

ALL_MODELS = [User, Session, Token, Repo, RepoRedirect, LfsObject, RepoLfsObject, LfsGrant, RepoUsage, NamespaceQuota]

__all__ = [
    "ALL_MODELS",
    "LfsGrant",
    "LfsObject",
    "NamespaceQuota",
    "Repo",
    "RepoLfsObject",
    "RepoRedirect",
    "RepoUsage",
    "Session",
    "Token",
    "User",
    "utcnow",
]
