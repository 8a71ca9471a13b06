"""Accounts: register, login/logout, me, tokens, and the HF whoami-v2."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from kohakuhub.api.deps import SESSION_COOKIE, CallerDep, HubDep, UserDep
from kohakuhub.errors import AuthenticationError
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


@router.post("/api/auth/register")
def register(body: RegisterBody, hub: HubDep) -> dict:
    user = hub.invitations.register(body.username, body.email, body.password, body.invitation)
    return {"success": True, "username": user.username, "message": "User created"}


@router.post("/api/auth/login")
def login(body: LoginBody, request: Request, response: Response, hub: HubDep) -> dict:
    user, secret = hub.accounts.login(body.username, body.password)
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=hub.settings.session_expire_hours * 3600, httponly=True,
        samesite="lax", secure=request.url.scheme == "https", path="/",
    )
    return {"success": True, "username": user.username}


@router.post("/api/auth/logout")
def logout(request: Request, response: Response, hub: HubDep) -> dict:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        hub.accounts.logout(secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"success": True}


@router.get("/api/auth/me")
def me(caller: UserDep, hub: HubDep) -> dict:
    user = hub.accounts.get_user(caller.username)
    return {
        "id": user.id, "username": user.username, "email": user.email,
        "is_admin": user.is_admin, "created_at": iso_z(user.created_at),
    }


@router.post("/api/auth/tokens/create")
def create_token(body: TokenBody, caller: UserDep, hub: HubDep) -> dict:
    if not caller.can_write:
        raise AuthenticationError("A read token cannot create tokens")
    token, secret = hub.accounts.create_token(caller.user_id, body.name, body.role)
    return {"success": True, "token": secret, "token_id": token.id, "name": token.name, "role": token.role}


@router.get("/api/auth/tokens")
def list_tokens(caller: UserDep, hub: HubDep) -> dict:
    return {"tokens": [
        {"id": t.id, "name": t.name, "role": t.role, "created_at": iso_z(t.created_at),
         "last_used": iso_z(t.last_used_at)}
        for t in hub.accounts.list_tokens(caller.user_id)
    ]}


@router.delete("/api/auth/tokens/{token_id}")
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: UserDep, hub: HubDep) -> dict:
    hub.accounts.revoke_token(caller.user_id, token_id)
    return {"success": True}


@router.get("/api/whoami-v2")
def whoami(caller: CallerDep, hub: HubDep) -> dict:
    if caller is None:
        raise AuthenticationError()
    user = hub.accounts.get_user(caller.username)
    body: dict = {
        "type": "user", "id": str(user.id), "name": user.username,
        "fullname": user.fullname or user.username, "email": user.email, "emailVerified": True,
        "isPro": False, "canPay": False, "avatarUrl": "",
        "orgs": [
            {"type": "org", "id": str(m.org.id), "name": m.org.username, "fullname": m.org.username,
             "roleInOrg": HF_ORG_ROLES[m.role], "isEnterprise": False}
            for m in hub.orgs.orgs_of(user.id)
        ],
        "auth": {"type": "access_token" if caller.token_role else "session"},
    }
    if caller.token_role:
        body["auth"]["accessToken"] = {"displayName": caller.token_name, "role": caller.token_role}
    return body
