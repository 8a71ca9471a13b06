"""Finding secrets in the logs of a test run (issue 14: secrets stay out of logs).

Every credential the hub creates has a prefix (tokens ``khub_``, sessions ``khs_``, invitations ``khinv_``),
and every signed URL a query parameter named like ``sig`` or ``X-Amz-Signature``; a log line holding any of
them, or one of the run's own secrets (passwords, the session secret, the admin token), is a leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_PATTERNS = (
    re.compile(r"\b(?:khub|khs|khinv)_[A-Za-z0-9_-]{16,}"),
    re.compile(r"[?&][^=&\s\"]*(?:sig|token|credential)[^=&\s\"]*=[^&\s\"]", re.IGNORECASE),
)


def leaked_lines(paths: Iterable[Path], secrets: Iterable[str] = ()) -> list[str]:
    """The lines of the files at ``paths`` that hold a hub credential, a signed query or one of ``secrets``."""
    known = [secret for secret in secrets if secret]
    found = []
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            if any(p.search(line) for p in _PATTERNS) or any(secret in line for secret in known):
                found.append(f"{path.name}: {line[:300]}")
    return found


def access_lines(path: Path) -> int:
    """How many access-log lines (``"GET /...``, any method) ``path`` holds: proof that requests were logged."""
    return len(re.findall(r'"(?:GET|HEAD|POST|PUT|DELETE|PATCH) /', path.read_text(errors="replace")))
