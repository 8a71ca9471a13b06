"""schemathesis over the hub's own OpenAPI description (issue 14: no input gets a 5xx).

Every operation gets generated requests, valid ones and invalid ones, with a write token and without, once
with random path parameters and once aimed at a real repo (alice/m, revision main, README.md), so requests
get past the lookup into the code that parses them. Each answer must not be a 5xx and must match what
the description says: status, content type, headers and body (kohakuhub/api/openapi.py documents every
error answer). Bounded: a fixed number of examples per operation, derandomized so a failure reproduces.
Runs in both layouts (the hub is built in the suite's mode).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")  # the test extra installs it; CI always has it

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.result import Ok  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kohakuhub.app import create_app  # noqa: E402
from kohakuhub.db.database import database_proxy  # noqa: E402
from tests.api.helpers import commit, create_repo, file_op, lfs_op, lfs_upload  # noqa: E402
from tests.conftest import PASSWORD, hub_settings  # noqa: E402
from tests.databases import drop_database_for  # noqa: E402
from tests.s3_support import app_client  # noqa: E402

EXAMPLES = 10  # per operation, mode and variant
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
REAL = {"plural": "models", "plural_param": "models", "namespace": "alice", "name": "m", "revision": "main",
        "path": "README.md", "username": "alice", "org": "alice"}

# The hub's own media types, sent like the standard ones they are made of.
schemathesis.serializer.alias(["application/x-git-upload-pack-request", "application/x-git-receive-pack-request"],
                              "application/octet-stream")
schemathesis.serializer.alias("application/vnd.git-lfs+json", "application/json")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    app = create_app(hub_settings(data_dir, lfs_threshold_bytes=1024, upload_mode="lfs"))
    accounts = app.state.hub.accounts
    user = accounts.create_user("alice", "alice@example.com", PASSWORD)
    token = accounts.create_token(user.id, "fuzz", "write")[1]
    with app_client(app, base_url="http://testserver") as client:
        create_repo(client, token, "m")
        lfs_upload(client, token, "alice/m", b"W" * 4096)
        commit(client, token, "alice/m", [file_op("README.md", b"---\nlicense: mit\n---\n# m\n"),
                                          file_op("a.txt", b"a"), lfs_op("w.bin", b"W" * 4096)])
    try:
        yield app, token
    finally:
        drop_database_for(data_dir)


def _negatable(definition: dict) -> bool:
    """Whether an invalid request exists: a body, or a parameter other than a plain path string.

    (hypothesis spends a second proving there is none for each of the others.)
    """
    return "requestBody" in definition or any(
        p["in"] != "path" or p.get("schema", {}).get("type") != "string" for p in definition.get("parameters", []))


def _fuzz(app, headers: dict[str, str], mode: GenerationMode, aimed: bool) -> tuple[int, int, list[str]]:
    """Run every operation; (operations, examples, one line per distinct failure)."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations, examples, failures = 0, 0, {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI description is invalid: {result}"
        operation = result.ok()
        operations += 1
        if mode == GenerationMode.NEGATIVE and not _negatable(operation.definition.raw):
            continue
        names = {p.name for p in operation.path_parameters}
        fixed = {k: v for k, v in REAL.items() if k in names} if aimed else {}

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        def run(case) -> None:
            nonlocal examples
            examples += 1
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except BaseException as exc:  # schemathesis raises a FailureGroup (an exception group)
                summary = str(exc).strip().splitlines()
                key = (operation.label, response.status_code, summary[2] if len(summary) > 2 else "")
                failures.setdefault(key, f"{operation.label} -> {response.status_code}: {' | '.join(summary[:12])}")

        try:
            run()
        except Unsatisfiable:
            pass  # every parameter accepts any value, so no invalid request exists: nothing to send
    return operations, examples, list(failures.values())


@pytest.mark.parametrize("aimed", [False, True], ids=["random-paths", "real-repo"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("auth", ["token", "anonymous"])
def test_every_operation_answers_as_described_and_never_5xx(fuzzed, auth: str, mode: GenerationMode,
                                                            aimed: bool) -> None:
    app, token = fuzzed
    database_proxy.initialize(app.state.hub.db)  # another module's hub may have re-pointed the models
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"} if auth == "token" else {}
    operations, examples, failures = _fuzz(app, headers, mode, aimed)
    print(f"schemathesis {auth}/{mode.value}/{'real-repo' if aimed else 'random-paths'}: {operations} operations, "
          f"{examples} examples, {time.monotonic() - started:.1f} s")
    assert operations >= 100 and examples >= (operations if mode == GenerationMode.POSITIVE else 50)
    assert not failures, "\n".join(failures)
