"""The hub's OpenAPI description: FastAPI's, plus the error answers every route can give.

FastAPI documents only the success answer and a 422 validation error in its own shape; the hub answers
validation errors with 400 and every error in the shape of its surface (kohakuhub/api/errors.py), so the
description says that instead: a client generated from it, or schemathesis, sees what the hub really sends.
"""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kohakuhub.api.errors import LFS_CONTENT_TYPE, surface_of
from kohakuhub.types import RepoType

# Every status the error table (kohakuhub/api/errors.py) can produce, with what it means.
ERROR_STATUSES = {
    "400": "Malformed request: the message names the problem",
    "401": "Authentication required or credentials refused (also: a private repo, to an anonymous caller)",
    "403": "Not allowed for this caller, a signed URL used for what it was not signed for, or a gated repo's "
           "content without an accepted access request (X-Error-Code: GatedRepo; 401 when anonymous)",
    "404": "No such repo, revision, file or object (or not readable by the caller)",
    "409": "Conflict with the current state (exists already, in use)",
    "412": "The parent commit is not the head of the branch any more",
    "413": "Request body or quota over its limit",
    "416": "Range not satisfiable",
    "422": "A path that is not allowed in a repo",
    "429": "Too many failed logins: retry after Retry-After seconds",
    "503": "Storage or database unavailable: retry after Retry-After seconds",
}
_MESSAGE_HEADER = {"X-Error-Message": {"description": "The error message, on one ASCII line",
                                       "schema": {"type": "string"}}}
_ERROR_CONTENT = {
    "hf": {"application/json": {"schema": {
        "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}}},
    "lfs": {LFS_CONTENT_TYPE: {"schema": {
        "type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}}},
    "git": {"text/plain": {"schema": {"type": "string"}}},
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_LFS_BATCH = {"type": "object", "required": ["operation", "objects"], "properties": {
    "operation": {"type": "string", "enum": ["upload", "download"]},
    "transfers": {"type": "array", "items": {"type": "string"}},
    "ref": {"type": "object", "properties": {"name": {"type": "string"}}},
    "hash_algo": {"type": "string"},
    "objects": {"type": "array", "items": {"type": "object", "required": ["oid", "size"], "properties": {
        "oid": {"type": "string"}, "size": {"type": "integer"}}}}}}
_PATHS_INFO = {"type": "object", "required": ["paths"], "properties": {
    "paths": {"type": "array", "items": {"type": "string"}}, "expand": {"type": "boolean"}}}
_MESSAGES = {"type": "array", "items": {"type": "object", "required": ["message"],
                                         "properties": {"message": {"type": "string"}}}}
_CARD_REPORT = {"type": "object", "required": ["errors", "warnings"],
                "properties": {"errors": _MESSAGES, "warnings": _MESSAGES}}
# What an avatar may be (kohakuhub/services/avatars.py); never SVG.
_IMAGES = {media_type: _BINARY for media_type in ("image/png", "image/jpeg", "image/gif", "image/webp")}
_XORB_KEYS = {"type": "array", "items": {"type": "object", "required": ["hash"], "properties": {
    "prefix": {"type": "string"}, "hash": {"type": "string"}}}}

# Routes that read their body themselves (streams, NDJSON, git-lfs JSON, forms) or answer with bytes:
# (path suffix, method) -> (request body content, success statuses -> content). FastAPI cannot see either.
_OWN_BODIES: list[tuple[str, str, dict | None, dict[str, dict]]] = [
    ("/info/lfs/objects/batch", "post", {LFS_CONTENT_TYPE: {"schema": _LFS_BATCH}},
     {"200": {LFS_CONTENT_TYPE: {"schema": {"type": "object"}}}}),
    ("/info/lfs/locks/verify", "post", {LFS_CONTENT_TYPE: {"schema": {"type": "object"}}},
     {"200": {LFS_CONTENT_TYPE: {"schema": {"type": "object"}}}}),
    ("/paths-info/{revision}", "post", {"application/x-www-form-urlencoded": {"schema": _PATHS_INFO},
                                        "application/json": {"schema": _PATHS_INFO}}, {}),
    ("/commit/{revision}", "post", {"application/x-ndjson": {"schema": {"type": "string"}}}, {}),
    ("/api/validate-yaml", "post", {"application/json": {"schema": {"type": "object", "required": ["content"],
                                                                     "properties": {"content": {"type": "string"},
                                                                                    "repoType": {"type": "string"}}}}},
     {"200": {"application/json": {"schema": _CARD_REPORT}, "text/plain": {"schema": {"type": "string"}}}}),
    ("/api/lfs/objects/{oid}", "put", {"application/octet-stream": _BINARY}, {}),
    ("/api/lfs/parts/{oid}/{upload_id}/{number}", "put", {"application/octet-stream": _BINARY}, {}),
    ("/api/lfs/objects/{oid}", "get", None, {"200": {"application/octet-stream": _BINARY},
                                            "206": {"application/octet-stream": _BINARY}}),
    ("/v1/xorbs/{prefix}/{xorb_hash}", "post", {"application/octet-stream": _BINARY}, {}),
    ("/v1/shards", "post", {"application/octet-stream": _BINARY}, {}),
    ("/v1/reconstructions", "post", {"application/json": {"schema": _XORB_KEYS}}, {}),
    ("/v1/chunks/{prefix}/{chunk_hash}", "get", None, {"200": {"application/octet-stream": _BINARY}}),
    ("/api/xet/xorbs/{xorb_hash}", "get", None, {"200": {"application/octet-stream": _BINARY},
                                                "206": {"application/octet-stream": _BINARY}}),
    ("/git-upload-pack", "post", {"application/x-git-upload-pack-request": _BINARY},
     {"200": {"application/x-git-upload-pack-result": _BINARY}}),
    ("/git-receive-pack", "post", {"application/x-git-receive-pack-request": _BINARY},
     {"200": {"application/x-git-receive-pack-result": _BINARY}}),
    ("/info/refs", "get", None, {"200": {"application/x-git-upload-pack-advertisement": _BINARY,
                                         "application/x-git-receive-pack-advertisement": _BINARY}}),
    # A repo file is whatever its bytes are (kohakuhub/lib/content_safety.py); on S3 a 302 to storage.
    ("/resolve/{revision}/{path}", "get", None, {"200": {"*/*": _BINARY}, "206": {"*/*": _BINARY},
                                                 "302": {}}),
    ("/resolve/{revision}/{path}", "head", None, {"200": {"*/*": _BINARY}, "302": {}}),
    ("/avatar", "put", _IMAGES, {}),
    ("/avatar", "get", None, {"200": _IMAGES, "304": {}}),
    ("/ask-access", "post", {"application/json": {"schema": {"type": "object"}},
                             "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}, {}),
]
_MOVED = {"description": "The repo was renamed or moved: the same request at its new name",
          "headers": {"Location": {"schema": {"type": "string"}}}}


def _error_answer(surface: str, description: str) -> dict[str, Any]:
    return {"description": description, "headers": _MESSAGE_HEADER, "content": _ERROR_CONTENT[surface]}


def _describe_own_body(operation: dict[str, Any], body: dict | None, answers: dict[str, dict]) -> None:
    if body is not None:
        operation["requestBody"] = {"content": body}
    for status, content in answers.items():
        operation["responses"][status] = {"description": "Success", **({"content": content} if content else {})}


def _name_repo_types(operation: dict[str, Any]) -> None:
    # ``{plural}`` is a string to FastAPI, but only models/datasets/spaces name a route (others are 404).
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "plural":
            parameter["schema"] = {"type": "string", "enum": [f"{t.value}s" for t in RepoType]}


def _unique_operation_ids(schema: dict[str, Any]) -> None:
    # A route serving GET and HEAD gets one operationId for both from FastAPI; ids must be unique.
    seen: set[str] = set()
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            if operation.get("operationId") in seen:
                operation["operationId"] = f"{operation['operationId']}_{method}"
            seen.add(operation.get("operationId"))


def hub_openapi(app: FastAPI) -> dict[str, Any]:
    """The description served at /api/openapi.json (built once)."""
    if app.openapi_schema:
        return app.openapi_schema
    with warnings.catch_warnings():
        # GET+HEAD routes share an operationId in FastAPI's output; _unique_operation_ids fixes them below.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    for path, operations in schema["paths"].items():
        surface = surface_of(path)
        for suffix, method, body, answers in _OWN_BODIES:
            if path.endswith(suffix) and method in operations:
                _describe_own_body(operations[method], body, answers)
        for operation in operations.values():
            _name_repo_types(operation)
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses[status] = _error_answer(surface, description)
            if "{namespace}" in path and "{name}" in path:
                responses["307"] = _MOVED
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    _unique_operation_ids(schema)
    app.openapi_schema = schema
    return schema
