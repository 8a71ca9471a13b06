"""The lakeFS mirror as configured by KOHAKU_HUB_LAKEFS_*: settings checks, and a hub whose lakeFS is down.

The hub here uses the real lakefs-sdk adapter (kohakuhub/lakefs/sdk.py) against a real address where no
lakeFS listens: its commits must go through untouched, the failure must be recorded with lakeFS's error,
and the admin health page must list lakeFS as failing.
"""

from __future__ import annotations

import time

import pytest

from kohakuhub.config import load_settings
from kohakuhub.db import lakefs_mirror as queue_db
from kohakuhub.errors import ConfigError
from kohakuhub.lakefs.sdk import LakefsTarget
from tests.api.helpers import bearer, commit, create_repo, file_op, head
from tests.conftest import PASSWORD, free_port

SECRET = "s" * 40


def _lakefs(**extra) -> dict[str, object]:
    return {"lakefs_endpoint": f"http://127.0.0.1:{free_port()}", "lakefs_access_key": "AKIAKOHAKUHUBTEST",
            "lakefs_secret_key": SECRET, "lakefs_storage_namespace": "s3://hub/lakefs/{repo}", **extra}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"lakefs_endpoint": "http://lakefs:8000"}, "lakefs_access_key, lakefs_storage_namespace, lakefs_secret_key "
                                                "must be set too"),
    ({"lakefs_access_key": "a"}, "lakefs_access_key set without lakefs_endpoint"),
    ({"lakefs_secret_key": "b"}, "lakefs_secret_key set without lakefs_endpoint"),
    (_lakefs(lakefs_storage_namespace="s3://hub/lakefs"), "lakefs_storage_namespace must contain {repo}"),
    (_lakefs(lakefs_endpoint="lakefs:8000"), "must be an http:// or https:// URL of the lakeFS server"),
])
def test_incomplete_lakefs_settings_stop_the_hub(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(data_dir=tmp_path, **overrides)
    assert message in caught.value.message


def test_lakefs_settings_are_off_by_default_and_on_when_complete(tmp_path):
    assert not load_settings(data_dir=tmp_path).lakefs_enabled
    settings = load_settings(data_dir=tmp_path, **_lakefs(lakefs_endpoint="http://lakefs:8000/"))
    assert settings.lakefs_enabled and settings.lakefs_endpoint == "http://lakefs:8000"
    assert SECRET not in repr(settings)


def test_a_placeholder_lakefs_secret_is_refused_on_a_public_hub(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(data_dir=tmp_path, base_url="https://hub.example.com", session_secret="x" * 40,
                      **_lakefs(lakefs_secret_key="changeme"))
    assert "KOHAKU_HUB_LAKEFS_SECRET_KEY" in caught.value.message


@pytest.fixture
def down_hub(make_hub):
    """A hub mirroring into a lakeFS address where nothing listens, with a site admin (``root``)."""
    hub = make_hub(**_lakefs())
    root = hub.hub.accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    hub.root = hub.hub.accounts.create_token(root.id, "admin")[1]
    return hub


def test_the_hub_commits_while_lakefs_is_down_and_records_why(down_hub):
    hc = down_hub
    mirror = hc.hub.lakefs
    assert isinstance(mirror.target, LakefsTarget)  # the real SDK adapter, built from the settings
    mirror.stop()  # this test drains by hand (the worker's thread would race it for the lease)
    create_repo(hc.client, hc.token, "m")
    commit(hc.client, hc.token, "alice/m", [file_op("a.txt", b"a")])
    assert len(head(hc.client, hc.token, "alice/m")) == 40
    key = queue_db.repo_key_of("model/alice/m")
    assert mirror.drain() == 1
    [state] = [s for s in mirror.states() if s.key == key]
    assert state.repo == "model:alice/m" and state.pending == 2 and state.attempts == 1
    assert state.last_error.startswith("lakeFS could not read repository khub-"), state.last_error
    assert state.mirrored_commits == 0

    report = hc.client.get("/admin/api/health", headers=bearer(hc.root)).json()
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == ["database", "blob_store", "git", "git_data_dir", "lakefs"]
    assert report["ok"] is False and checks["lakefs"]["ok"] is False
    assert checks["lakefs"]["detail"].startswith("MirrorError: lakeFS could not report its version")
    assert checks["database"]["ok"] is True


def test_the_workers_drainer_thread_tries_on_its_own(down_hub):
    """The drainer runs in the worker (started with the app): a commit is tried without anyone asking."""
    hc = down_hub
    create_repo(hc.client, hc.token, "t")
    key = queue_db.repo_key_of("model/alice/t")
    deadline = time.monotonic() + 60  # a wait for the background thread, not a timing assertion
    while queue_db.failed_attempts(key) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue_db.failed_attempts(key) >= 1


def test_repos_made_before_the_mirror_was_configured_are_queued_when_it_is(make_hub, tmp_path):
    from kohakuhub.app import create_app
    from tests.conftest import hub_settings
    from tests.s3_support import app_client

    plain = make_hub()  # no mirror
    create_repo(plain.client, plain.token, "early")
    settings = hub_settings(plain.data_dir, **_lakefs())  # the same data, now with lakeFS configured
    with app_client(create_app(settings), base_url="http://testserver") as client:
        mirror = client.app.state.hub.lakefs
        states = {s.repo: s for s in mirror.states()}
        assert states["model:alice/early"].pending == 1
        assert mirror.queue_existing_repos() == 0  # once
