"""Pure helpers on unified diff text (what git prints for one file)."""

from __future__ import annotations


def hunks_only(patch: str) -> str:
    """The patch from its first ``@@`` hunk header on: the ``diff --git``/``index``/``---``/``+++`` header
    lines repeat what the answer already says as fields (paths, ids, modes). ``""`` when it has no hunk."""
    if patch.startswith("@@"):
        return patch
    start = patch.find("\n@@")
    return "" if start < 0 else patch[start + 1:]


def cut_patch(patch: str, max_bytes: int) -> tuple[str, bool]:
    """``patch`` cut to at most ``max_bytes`` of UTF-8 at a line boundary, and whether it was cut.

    A cut never splits a line, so what is left still parses as hunks (possibly ending early).
    """
    encoded = patch.encode("utf-8")
    if len(encoded) <= max_bytes:
        return patch, False
    head = encoded[:max(max_bytes, 0)]
    end = head.rfind(b"\n")
    return (head[:end + 1].decode("utf-8", errors="ignore") if end >= 0 else ""), True


def split_compare_spec(spec: str) -> tuple[str, str] | None:
    """``base...head`` -> (base, head); None unless both sides are present.

    Git ref names may not contain ``..`` (git check-ref-format), so the first ``...`` is the separator.
    """
    base, sep, head = spec.partition("...")
    if not sep or not base or not head:
        return None
    return base, head
