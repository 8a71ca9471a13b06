"""Every table of the hub."""

from kohakuhub.db.models.accounts import LoginFailure, Session, Token, User
from kohakuhub.db.models.base import utcnow
from kohakuhub.db.models.community import Avatar, DownloadVisit, RepoAccessRequest, RepoDownloadDay, RepoLike
from kohakuhub.db.models.discussions import CommentRevision, Discussion, DiscussionEvent
from kohakuhub.db.models.lakefs import LakefsMirror, LakefsMirroredCommit
from kohakuhub.db.models.lfs import LfsGrant, LfsObject, OpenMultipartUpload, RepoLfsObject
from kohakuhub.db.models.orgs import Invitation, OrgMember, RepoCollaborator
from kohakuhub.db.models.quotas import NamespaceQuota, RepoUsage
from kohakuhub.db.models.repos import Repo, RepoCardIndex, RepoRedirect, RepoTag
from kohakuhub.db.models.xet import XetDedupChunk, XetFile, XetXorb, XetXorbGrant

ALL_MODELS = [
    User, Session, Token, LoginFailure, Repo, RepoRedirect, LfsObject, RepoLfsObject, LfsGrant, OrgMember,
    RepoCollaborator, Invitation, RepoUsage, NamespaceQuota, XetXorb, XetXorbGrant, XetDedupChunk, XetFile,
    OpenMultipartUpload, RepoCardIndex, RepoTag, Discussion, DiscussionEvent, CommentRevision, RepoAccessRequest,
    RepoLike, RepoDownloadDay, DownloadVisit, Avatar, LakefsMirror, LakefsMirroredCommit,
]

__all__ = [
    "ALL_MODELS",
    "Avatar",
    "CommentRevision",
    "Discussion",
    "DiscussionEvent",
    "DownloadVisit",
    "Invitation",
    "LakefsMirror",
    "LakefsMirroredCommit",
    "LfsGrant",
    "LfsObject",
    "LoginFailure",
    "OrgMember",
    "NamespaceQuota",
    "OpenMultipartUpload",
    "Repo",
    "RepoAccessRequest",
    "RepoCardIndex",
    "RepoCollaborator",
    "RepoDownloadDay",
    "RepoLfsObject",
    "RepoLike",
    "RepoRedirect",
    "RepoTag",
    "RepoUsage",
    "Session",
    "Token",
    "User",
    "XetDedupChunk",
    "XetFile",
    "XetXorb",
    "XetXorbGrant",
    "utcnow",
]
