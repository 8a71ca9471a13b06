"""Accounts: register, login/logout, sessions, password, me, tokens, and the HF whoami-v2."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from kohakuhub.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    HubDep,
    UserDep,
    check_same_origin,
)
from kohakuhub.api.errors import base_url
from kohakuhub.api.schemas.people import avatar_url
from kohakuhub.errors import AuthenticationError, ForbiddenError
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["auth"])

# KohakuHub org roles as the HF client knows them (``roleInOrg``).
HF_ORG_ROLES = {"visitor": "read", "member": "write", "admin": "admin", "super-admin": "admin"}


class RegisterBody(BaseModel):
    username: str
    email: str
    password: str
    invitation: str | None = None  # needed when KOHAKU_HUB_REGISTRATION=invite


class LoginBody(BaseModel):
    username: str
    password: str


class TokenBody(BaseModel):
    name: str
    role: str = "write"
    expires_in_days: int | None = None
    expires_at: datetime | None = None


class ProfileBody(BaseModel):
    fullname: str


class PasswordBody(BaseModel):
    old_password: str
    new_password: str


IdParam = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _address(request: Request) -> str:
    # uvicorn applies X-Forwarded-For from trusted proxies (forwarded_allow_ips) to request.client.
    return request.client.host if request.client else ""


def _require_write(caller, action: str) -> None:
    if not caller.can_write:
        raise ForbiddenError(f"A read token cannot {action}")


@router.post("/api/auth/register")
def register(body: RegisterBody, hub: HubDep) -> dict:
    user = hub.invitations.register(body.username, body.email, body.password, body.invitation)
    return {"success": True, "username": user.username, "message": "User created"}


@router.get("/api/auth/registration")
def registration(hub: HubDep) -> dict:
    """Who may sign up (open | invite | closed), so the sign-up page can say so before anyone types."""
    return {"mode": hub.invitations.registration}


@router.post("/api/auth/login")
def login(body: LoginBody, request: Request, response: Response, hub: HubDep) -> dict:
    check_same_origin(request, hub)  # no login CSRF from another site
    user, secret = hub.accounts.login(body.username, body.password, address=_address(request),
                                      user_agent=request.headers.get("user-agent", ""))
    csrf = hub.accounts.csrf_token(secret)
    max_age = hub.settings.session_expire_hours * 3600
    secure = request.url.scheme == "https"  # the scheme as uvicorn's proxy headers report it
    response.set_cookie(SESSION_COOKIE, secret, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure, path="/")
    # Readable by the UI's script (not HttpOnly), which echoes it in X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax",
                        secure=secure, path="/")
    return {"success": True, "username": user.username, "csrf_token": csrf}


@router.post("/api/auth/logout")
def logout(request: Request, response: Response, caller: CallerDep, hub: HubDep) -> dict:
    # CallerDep runs the CSRF check when the cookie is a live session: another site cannot log us out.
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and caller is not None and caller.session_id is not None:
        hub.accounts.logout(secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"success": True}


@router.post("/api/auth/password")
def change_password(body: PasswordBody, request: Request, caller: UserDep, hub: HubDep) -> dict:
    revoked = hub.accounts.change_password(caller, body.old_password, body.new_password,
                                           address=_address(request))
    return {"success": True, "revoked_sessions": revoked}


@router.get("/api/auth/sessions")
def list_sessions(caller: UserDep, hub: HubDep) -> dict:
    return {"sessions": [
        {"id": s.id, "created_at": iso_z(s.created_at), "last_seen": iso_z(s.last_seen_at or s.created_at),
         "expires_at": iso_z(s.expires_at), "user_agent": s.user_agent, "address": s.address,
         "current": s.id == caller.session_id}
        for s in hub.accounts.list_sessions(caller.user_id)
    ]}


@router.delete("/api/auth/sessions/{session_id}")
def revoke_session(session_id: IdParam, caller: UserDep, hub: HubDep) -> dict:
    _require_write(caller, "revoke sessions")
    hub.accounts.revoke_session(caller.user_id, session_id)
    return {"success": True}


@router.get("/api/auth/me")
def me(request: Request, caller: UserDep, hub: HubDep) -> dict:
    user = hub.accounts.get_user(caller.username)
    digest = hub.avatars.digests([user.id]).get(user.id)
    return {
        "id": user.id, "username": user.username, "email": user.email,
        "fullname": user.fullname or user.username, "is_admin": user.is_admin,
        "created_at": iso_z(user.created_at), "avatarUrl": avatar_url(base_url(request), user.username, digest),
    }


@router.put("/api/auth/profile")
def update_profile(body: ProfileBody, caller: UserDep, hub: HubDep) -> dict:
    """The caller's display name (the avatar: ``PUT /api/users/{name}/avatar``)."""
    user = hub.accounts.set_profile(caller, body.fullname)
    return {"success": True, "fullname": user.fullname or user.username}


@router.post("/api/auth/tokens/create")
def create_token(body: TokenBody, caller: UserDep, hub: HubDep) -> dict:
    _require_write(caller, "create tokens")
    token, secret = hub.accounts.create_token(caller.user_id, body.name, body.role,
                                              expires_in_days=body.expires_in_days, expires_at=body.expires_at)
    return {"success": True, "token": secret, "token_id": token.id, "name": token.name, "role": token.role,
            "expires_at": iso_z(token.expires_at)}


@router.get("/api/auth/tokens")
def list_tokens(caller: UserDep, hub: HubDep) -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)  # stored expiries are naive UTC
    return {"tokens": [
        {"id": t.id, "name": t.name, "role": t.role, "created_at": iso_z(t.created_at),
         "last_used": iso_z(t.last_used_at), "expires_at": iso_z(t.expires_at),
         "expired": t.expires_at is not None and t.expires_at <= now}
        for t in hub.accounts.list_tokens(caller.user_id)
    ]}


@router.delete("/api/auth/tokens/{token_id}")
def revoke_token(token_id: IdParam, caller: UserDep, hub: HubDep) -> dict:
    _require_write(caller, "revoke tokens")
    hub.accounts.revoke_token(caller.user_id, token_id)
    return {"success": True}


@router.get("/api/whoami-v2")
def whoami(request: Request, caller: CallerDep, hub: HubDep) -> dict:
    if caller is None:
        raise AuthenticationError()
    user = hub.accounts.get_user(caller.username)
    memberships = hub.orgs.orgs_of(user.id)
    digests = hub.avatars.digests([user.id, *(m.org.id for m in memberships)])
    base = base_url(request)
    body: dict = {
        "type": "user", "id": str(user.id), "name": user.username,
        "fullname": user.fullname or user.username, "email": user.email, "emailVerified": True,
        "isPro": False, "canPay": False, "avatarUrl": avatar_url(base, user.username, digests.get(user.id)),
        "orgs": [
            {"type": "org", "id": str(m.org.id), "name": m.org.username, "fullname": m.org.fullname or m.org.username,
             "avatarUrl": avatar_url(base, m.org.username, digests.get(m.org.id), org=True),
             "roleInOrg": HF_ORG_ROLES[m.role], "isEnterprise": False}
            for m in memberships
        ],
        "auth": {"type": "access_token" if caller.token_role else "session"},
    }
    if caller.token_role:
        body["auth"]["accessToken"] = {"displayName": caller.token_name, "role": caller.token_role}
    return body
