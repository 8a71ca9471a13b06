"""Request targets as the access log writes them (kohakuhub/lib/log_redaction.py)."""

from __future__ import annotations

import logging

import pytest

from kohakuhub.lib.log_redaction import RedactingAccessLogFilter, redact_target


@pytest.mark.parametrize(("target", "logged"), [
    ("/api/lfs/objects/ab?expires=1&sig=abc&repo=3", "/api/lfs/objects/ab?[redacted]"),
    ("/api/xet/xorbs/ab?SIG=abc", "/api/xet/xorbs/ab?[redacted]"),
    ("/x?%73ig=abc", "/x?[redacted]"),  # a percent-encoded name is still the hub's sig
    ("/b/k?X-Amz-Credential=a&X-Amz-Signature=b", "/b/k?[redacted]"),
    ("/x?access_token=abc", "/x?[redacted]"),
    ("/api/invitations/khinv_abc", "/api/invitations/[redacted]"),
    ("/api/invitations/khinv_abc/accept", "/api/invitations/[redacted]/accept"),
    ("/invite/khinv_abc", "/invite/[redacted]"),
    # What carries no secret is logged as it came.
    ("/api/invitations/org/acme/create", "/api/invitations/org/acme/create"),
    ("/api/invitations/org/acme/list", "/api/invitations/org/acme/list"),
    ("/api/invitations/register/create", "/api/invitations/register/create"),
    ("/api/models?search=bert&sort=likes", "/api/models?search=bert&sort=likes"),
    ("/alice/m/resolve/main/design.txt", "/alice/m/resolve/main/design.txt"),
    ("/health", "/health"),
])
def test_redact_target(target: str, logged: str) -> None:
    assert redact_target(target) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/lfs/objects/ab?sig=secret", "1.1", 200), None)
    assert RedactingAccessLogFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/lfs/objects/ab?[redacted] HTTP/1.1" 200'
