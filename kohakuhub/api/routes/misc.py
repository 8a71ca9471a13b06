"""Health, version, and the small endpoints the client calls around commits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kohakuhub import __version__

router = APIRouter(tags=["misc"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/version")
def version() -> dict[str, str]:
    return {"api": "kohakuhub", "version": __version__}


@router.post("/api/validate-yaml")
async def validate_yaml(request: Request) -> JSONResponse:
    # The client calls response.json() before checking the status, so this always answers 200 JSON
    # (protocol section 2.9); card metadata is parsed leniently when the repo is read.
    await request.body()
    return JSONResponse({"errors": [], "warnings": []})
