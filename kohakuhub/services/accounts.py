"""Accounts: registration, passwords, login sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import Database, IntegrityError

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import Repo, Session, Token, User, utcnow
from kohakuhub.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
)
from kohakuhub.lib.repo_ids import validate_name
from kohakuhub.services.auth import Caller

TOKEN_PREFIX = "khub_"
SESSION_PREFIX = "khs_"
# First path segments the hub's own routes use: a user with such a name could never be reached by URL.
RESERVED_NAMES = frozenset({"api", "datasets", "spaces", "models", "org", "admin", "static", "assets", "health"})
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    # Tokens are 256-bit random values, so a plain sha256 is a safe, fast lookup key.
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    """Users, sessions and tokens. Every method is its own unit of work."""

    def __init__(self, db: Database, *, session_hours: int) -> None:
        self._db = db
        self._session_ttl = timedelta(hours=session_hours)
        self._hasher = PasswordHasher()

    # --- users ---------------------------------------------------------------------------------------

    def create_user(self, username: str, email: str, password: str, *, is_admin: bool = False) -> User:
        """Register a user.

        Raises:
            InvalidRepoIdError: the username breaks the repo-id rules.
            BadRequestError: bad email or a password under 8 characters.
            ConflictError: the username (any case) or email is taken.
        """
        validate_name(username, "username")
        if username.lower() in RESERVED_NAMES:
            raise BadRequestError(f"The name {username!r} is reserved")
        if not EMAIL_RE.match(email or ""):
            raise BadRequestError(f"Invalid email address: {email!r}")
        if len(password or "") < 8:
            raise BadRequestError("Password must be at least 8 characters long")
        password_hash = self._hasher.hash(password)
        try:
            with write_transaction(self._db):
                if Repo.select().where(Repo.namespace == username).exists():
                    raise ConflictError(f"Name {username!r} is already taken")
                return User.create(
                    username=username,
                    username_key=username.lower(),
                    email=email.lower(),
                    password_hash=password_hash,
                    is_admin=is_admin,
                )
        except IntegrityError as exc:
            raise ConflictError(f"Username {username!r} or email {email!r} is already registered") from exc

    def get_user(self, username: str) -> User:
        """Raises NotFoundError when no such user exists (organizations are not users)."""
        user = User.get_or_none(User.username_key == username.lower())
        if user is None or user.is_org:
            raise NotFoundError(f"User {username!r} not found")
        return user

    # --- login sessions ------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> tuple[User, str]:
        """Check a password and open a session; return the user and the session secret.

        Raises:
            AuthenticationError: unknown user or wrong password (the same message for both).
        """
        user = User.get_or_none(User.username_key == (username or "").lower())
        try:
            if user is None or user.is_org:  # organizations never log in
                raise VerificationError("unknown user")
            self._hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError) as exc:
            raise AuthenticationError("Invalid username or password") from exc
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self._db):
            Session.create(user=user, token_hash=_digest(secret), expires_at=utcnow() + self._session_ttl)
        return user, secret

    def logout(self, session_secret: str) -> None:
        with write_transaction(self._db):
            Session.delete().where(Session.token_hash == _digest(session_secret)).execute()

    def caller_from_session(self, session_secret: str) -> Caller | None:
        """The caller of a session cookie, or None when it is unknown or expired."""
        row = (
            Session.select(Session, User)
            .join(User)
            .where(Session.token_hash == _digest(session_secret))
            .first()
        )
        if row is None or row.expires_at < utcnow():
            return None
        return Caller(row.user.id, row.user.username, row.user.is_admin)

    # --- API tokens ----------------------------------------------------------------------------------

    def create_token(self, user: User | int, name: str, role: str = "write") -> tuple[Token, str]:
        """Create an API token; the secret is returned once and stored only hashed.

        Raises:
            BadRequestError: empty name or unknown role.
        """
        if not (name or "").strip() or len(name) > 255:
            raise BadRequestError("Token name must be 1-255 characters")
        if role not in ("read", "write"):
            raise BadRequestError(f"Token role must be 'read' or 'write', not {role!r}")
        user_id = user.id if isinstance(user, User) else user
        if User.select().where((User.id == user_id) & (User.is_org == True)).exists():  # noqa: E712
            raise BadRequestError("Organizations cannot own tokens")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self._db):
            token = Token.create(user=user, name=name.strip(), token_hash=_digest(secret), role=role)
        return token, secret

    def list_tokens(self, user_id: int) -> list[Token]:
        return list(Token.select().where(Token.user == user_id).order_by(Token.id))

    def revoke_token(self, user_id: int, token_id: int) -> None:
        """Raises NotFoundError when the user has no such token."""
        with write_transaction(self._db):
            deleted = Token.delete().where((Token.id == token_id) & (Token.user == user_id)).execute()
        if not deleted:
            raise NotFoundError(f"Token {token_id} not found")

    def caller_from_token(self, secret: str) -> Caller:
        """The caller of an API token.

        Raises:
            AuthenticationError: unknown or revoked token.
        """
        row = Token.select(Token, User).join(User).where(Token.token_hash == _digest(secret)).first()
        if row is None:
            raise AuthenticationError()
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            Token.update(last_used_at=now).where(Token.id == row.id).execute()
        return Caller(row.user.id, row.user.username, row.user.is_admin, row.role, row.name)

