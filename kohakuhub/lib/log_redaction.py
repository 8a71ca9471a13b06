"""Request targets as they may be written to a log: with the secrets they carry replaced.

A signed URL's query (``sig=``, and S3's ``X-Amz-Signature``/``X-Amz-Credential``) works for anyone who
reads it until it expires, and an invitation token in a path lets anyone join an organization or register.
Access logs are read by more people than the data they describe, so they never get either.
docker/nginx/default.conf.template applies the same rules to nginx's access log (``$kohakuhub_logged_uri``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

REDACTED = "[redacted]"
# A query with a parameter whose name contains one of these is a credential as a whole: the hub's ``sig``,
# S3's ``X-Amz-Signature`` and ``X-Amz-Credential``, any ``token``. Over-redacting costs nothing.
SECRET_NAME_PARTS = ("sig", "token", "credential")
# Invitation links and the invitation API carry the token as a path segment; "org" and "register" are the
# API's own words there (/api/invitations/org/{org}/..., /api/invitations/register/create).
_INVITATION_TOKEN = re.compile(r"^(/api/invitations/|/invite/)(?!(?:org|register)(?:/|$))[^/?]+")


def redact_target(target: str) -> str:
    """``target`` (a path with its optional query) with invitation tokens and signed queries redacted."""
    path, mark, query = target.partition("?")
    path = _INVITATION_TOKEN.sub(lambda match: match.group(1) + REDACTED, path)
    if mark and any(part in name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)
                    for part in SECRET_NAME_PARTS):
        query = REDACTED
    return path + mark + query


class RedactingAccessLogFilter(logging.Filter):
    """Redacts the request target of uvicorn's access log records (``uvicorn.access``).

    uvicorn logs ``'%s - "%s %s HTTP/%s" %d'`` with the target as the third argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Add the redacting filter to uvicorn's access logger once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactingAccessLogFilter) for existing in logger.filters):
        logger.addFilter(RedactingAccessLogFilter())
