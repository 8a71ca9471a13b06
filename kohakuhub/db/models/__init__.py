"""Every table of the hub."""

from kohakuhub.db.models.accounts import LoginFailure, Session, Token, User
from kohakuhub.db.models.base import utcnow
from kohakuhub.db.models.lfs import LfsGrant, LfsObject, RepoLfsObject
from kohakuhub.db.models.repos import Repo, RepoRedirect

ALL_MODELS = [User, Session, Token, LoginFailure, Repo, RepoRedirect, LfsObject, RepoLfsObject, LfsGrant]

__all__ = [
    "ALL_MODELS",
    "LfsGrant",
    "LfsObject",
    "LoginFailure",
    "Repo",
    "RepoLfsObject",
    "RepoRedirect",
    "Session",
    "Token",
    "User",
    "utcnow",
]
