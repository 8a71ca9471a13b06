"""Health, version, and the small endpoints the client calls around commits."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub import __version__
from kohakuhub.api.errors import header_safe
from kohakuhub.lib.card_validation import CardReport, validate_card
from kohakuhub.types import RepoType

router = APIRouter(tags=["misc"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/version")
def version() -> dict[str, str]:
    return {"api": "kohakuhub", "version": __version__}


@router.post("/api/validate-yaml")
async def validate_yaml(request: Request) -> Response:
    """Check a card's metadata as the Hub does: 200 ``{"errors": [], "warnings": [...]}`` when valid, 400
    with ``errors[].message`` when not (the client turns them into "Invalid metadata in README.md").

    Every answer is JSON, even a malformed request's, because the client reads the body as JSON before it
    looks at the status (protocol section 2.9). ``RepoCard.validate`` asks for ``text/plain`` and gets the
    Hub's lines, ``- Error: <message>``.
    """
    # Parsing a large card's YAML is CPU work: off the event loop.
    report = await run_in_threadpool(_check, await request.body())
    status = 400 if report.errors else 200
    if "text/plain" in request.headers.get("accept", ""):
        lines = [f"- Error: {e}" for e in report.errors] + [f"- Warning: {w}" for w in report.warnings]
        return PlainTextResponse("\n".join(lines), status, _error_headers(report))
    body: dict = {"errors": [{"message": e} for e in report.errors],
                  "warnings": [{"message": w} for w in report.warnings]}
    if report.errors:  # the hub's usual error shape too: the client appends "error" to its message
        body["error"] = _summary(report)
    return JSONResponse(body, status, _error_headers(report))


def _check(raw: bytes) -> CardReport:
    """The report for a request body ``{"content": README text, "repoType": "model"|"dataset"|"space"}``."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return CardReport(errors=["The request body must be JSON: {\"content\": ..., \"repoType\": ...}"])
    if not isinstance(body, dict) or not isinstance(body.get("content"), str):
        return CardReport(errors=['"content" must be a string: the README.md text to validate'])
    repo_type = body.get("repoType") or "model"
    if repo_type not in {t.value for t in RepoType}:
        return CardReport(errors=[f'"repoType" must be one of [model, dataset, space], got {repo_type!r}'])
    return validate_card(body["content"], repo_type)


def _summary(report: CardReport) -> str:
    return "Invalid metadata in README.md: " + "; ".join(report.errors)


def _error_headers(report: CardReport) -> dict[str, str]:
    return {"X-Error-Message": header_safe(_summary(report))} if report.errors else {}
