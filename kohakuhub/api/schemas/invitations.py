"""The JSON of an invitation link (upstream KohakuHub's shape), shared by the invitation and admin routes."""

from __future__ import annotations

from kohakuhub.db.models import Invitation
from kohakuhub.lib.timefmt import iso_z


def invitation_json(row: Invitation, problem: str | None) -> dict:
    """``problem``: why it cannot be used any more (``InvitationService.problem``), or None while valid."""
    return {
        "id": row.id, "kind": row.kind, "org_name": row.org.username if row.org_id else None,
        "role": row.role or None, "max_uses": row.max_uses, "uses": row.uses,
        "expires_at": iso_z(row.expires_at) if row.expires_at else None,
        "created_at": iso_z(row.created_at), "is_valid": problem is None, "error": problem,
    }
