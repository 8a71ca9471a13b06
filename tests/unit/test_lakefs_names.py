"""Names the lakeFS mirror derives: repository names from storage keys, object ids from user metadata."""

from __future__ import annotations

import re
import uuid

from kohakuhub.lakefs.base import repository_name
from kohakuhub.lakefs.sdk import _oid_of
from kohakuhub.services.lakefs_replay import LAKEFS_BRANCH


def test_repository_names_follow_lakefs_rules_and_the_immutable_key():
    key = uuid.uuid4().hex
    name = repository_name(key)
    assert name == f"khub-{key}" and re.fullmatch(r"[a-z0-9][a-z0-9-]{2,62}", name)  # lakeFS's rule


def test_the_git_blob_id_is_found_under_either_spelling_of_its_metadata_key():
    assert _oid_of({"X-Lakefs-Meta-Kohakuhub-Oid": "a" * 40}) == "a" * 40  # an upload's header, echoed
    assert _oid_of({"kohakuhub-oid": "b" * 40, "other": "x"}) == "b" * 40  # a link's user metadata
    assert _oid_of({"other": "x"}) is None


def test_branch_names_lakefs_can_hold():
    assert all(LAKEFS_BRANCH.fullmatch(name) for name in ("main", "dev-2", "release_1", "_x"))
    assert not any(LAKEFS_BRANCH.fullmatch(name) for name in ("feature/x", "v1.0", "-dash", "naïve", ""))
