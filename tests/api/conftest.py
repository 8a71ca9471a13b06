"""Fixtures for API tests: hubs built with non-default settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kohakuhub.app import create_app
from tests.conftest import PASSWORD, TEST_HUB_LFS, HubClient, hub_settings
from tests.databases import drop_database_for
from tests.s3_support import app_client


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[Callable[..., HubClient]]:
    """Factory: ``make_hub(upload_mode="lfs")`` -> a HubClient on a fresh hub with those settings."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> HubClient:
        data_dir = tmp_path / f"hub{len(clients)}"
        options = {**TEST_HUB_LFS, **overrides}
        app = create_app(hub_settings(data_dir, **options))
        client = app_client(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        accounts = app.state.hub.accounts
        user = accounts.create_user("alice", "alice@example.com", PASSWORD)
        token = accounts.create_token(user.id, "test")[1]
        return HubClient(client, data_dir, "alice", token)

    try:
        yield build
    finally:
        for client in clients:
            client.__exit__(None, None, None)
            drop_database_for(client.app.state.hub.settings.data_dir)
