"""Repo ids on the command line: ``ns/name``, ``name`` (the caller's namespace), or with the URL prefix of
its type (``datasets/ns/name``, ``spaces/ns/name``) as the hub's web pages show them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kohub_cli.errors import UsageError
from kohub_cli.http import seg


class RepoType(str, Enum):
    model = "model"
    dataset = "dataset"
    space = "space"


PREFIXES = {"models/": RepoType.model, "datasets/": RepoType.dataset, "spaces/": RepoType.space}


@dataclass(frozen=True)
class RepoRef:
    """A repo of a known type and full id."""

    type: RepoType
    namespace: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def plural(self) -> str:
        return f"{self.type.value}s"

    @property
    def api(self) -> str:
        """``/api/{type}s/{ns}/{name}``, the prefix of the repo's own routes."""
        return f"/api/{self.plural}/{seg(self.namespace)}/{seg(self.name)}"

    def __str__(self) -> str:
        return self.id if self.type is RepoType.model else f"{self.plural}/{self.id}"


def split_repo_id(value: str, type_option: RepoType | None) -> tuple[RepoType, str | None, str]:
    """``(type, namespace or None, name)`` of a repo id as typed.

    Raises:
        UsageError: more than two parts, an empty part, or a type prefix that contradicts ``--type``.
    """
    repo_type = type_option
    for prefix, kind in PREFIXES.items():
        if value.startswith(prefix) and value.count("/") == 2:
            if type_option is not None and type_option is not kind:
                raise UsageError(f"{value!r} names a {kind.value} but --type is {type_option.value}")
            repo_type, value = kind, value[len(prefix) :]
    parts = value.split("/")
    if len(parts) > 2 or not all(parts):
        raise UsageError(f"Invalid repo id {value!r}: expected NAMESPACE/NAME or NAME")
    namespace = parts[0] if len(parts) == 2 else None
    return repo_type or RepoType.model, namespace, parts[-1]
