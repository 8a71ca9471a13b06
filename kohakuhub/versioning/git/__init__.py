"""Git implementation of the VersioningBackend port (bare repositories through pygit2/libgit2)."""

from kohakuhub.versioning.git.backend import GitBackend

__all__ = ["GitBackend"]
