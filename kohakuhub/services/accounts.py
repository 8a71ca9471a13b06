"""Accounts: registration, passwords, login sessions and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import Database, IntegrityError

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import Repo, Session, Token, User, utcnow
from kohakuhub.db.profiles import set_fullname
from kohakuhub.db.queries import find_token
from kohakuhub.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from kohakuhub.lib.repo_ids import validate_name
from kohakuhub.services.auth import Caller
from kohakuhub.services.login_throttle import LoginThrottle

TOKEN_PREFIX = "khub_"
SESSION_PREFIX = "khs_"
# First path segments the hub's own routes use: a user with such a name could never be reached by URL.
# The web UI's site pages (/login, /settings/..., /organizations/...) are first segments too.
RESERVED_NAMES = frozenset({"api", "datasets", "spaces", "models", "org", "admin", "static", "assets", "health",
                            "login", "logout", "join", "new", "settings", "invite", "organizations"})
MAX_FULLNAME = 100
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_DAYS = 3650
DISABLED_MESSAGE = "This account has been disabled by a site administrator"


def clean_fullname(fullname: str | None) -> str:
    """A user's or organization's display name, surrounding spaces dropped ("" shows the name).

    Raises:
        BadRequestError: longer than MAX_FULLNAME characters, or control characters in it.
    """
    fullname = (fullname or "").strip()
    if len(fullname) > MAX_FULLNAME:
        raise BadRequestError(f"Full name must be at most {MAX_FULLNAME} characters long")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in fullname):
        raise BadRequestError("Full name must not contain control characters")
    return fullname


def _digest(secret: str) -> str:
    # Tokens are 256-bit random values, so a plain sha256 is a safe, fast lookup key.
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    """Users, sessions and tokens. Every method is its own unit of work."""

    def __init__(self, db: Database, *, session_hours: int, secret: str, throttle: LoginThrottle) -> None:
        self._db = db
        self._session_ttl = timedelta(hours=session_hours)
        self._hasher = PasswordHasher()
        self._csrf_key = hashlib.sha256(b"kohakuhub-csrf:" + secret.encode()).digest()
        self._throttle = throttle
        self._dummy_hash: str | None = None

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

    def set_profile(self, caller: Caller, fullname: str) -> User:
        """Set the caller's full name (surrounding spaces dropped; empty shows the username).

        Raises:
            ForbiddenError: read-only token.
            BadRequestError: longer than MAX_FULLNAME characters, or control characters in it.
        """
        if not caller.can_write:
            raise ForbiddenError("A read token cannot change the profile")
        set_fullname(caller.user_id, clean_fullname(fullname))
        return self.get_user(caller.username)

    # --- passwords and login sessions ------------------------------------------------------------

    def _password_matches(self, user: User | None, password: str) -> bool:
        # An unknown user still costs one hash check, so timing does not tell which names exist.
        if user is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
            target = self._dummy_hash
        else:
            target = user.password_hash
        try:
            self._hasher.verify(target, password or "")
        except (VerificationError, InvalidHashError):
            return False
        return user is not None

    def login(self, username: str, password: str, *, address: str = "", user_agent: str = "") -> tuple[User, str]:
        """Check a password and open a session; return the user and the session secret.

        Raises:
            RateLimitedError: too many recent failures for this username or address.
            AuthenticationError: unknown user or wrong password (the same message for both).
            ForbiddenError: the password is right but the account is disabled.
        """
        attempt = self._throttle.begin(username, address)
        user = User.get_or_none(User.username_key == (username or "").lower())
        if user is not None and user.is_org:
            user = None  # organizations never log in
        if not self._password_matches(user, password):
            raise AuthenticationError("Invalid username or password")
        self._throttle.succeeded(attempt)
        if user.disabled:
            raise ForbiddenError(DISABLED_MESSAGE)
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        with write_transaction(self._db):
            Session.create(user=user, token_hash=_digest(secret), created_at=now, last_seen_at=now,
                           expires_at=now + self._session_ttl, user_agent=(user_agent or "")[:255],
                           address=(address or "")[:64])
        return user, secret

    def logout(self, session_secret: str) -> None:
        with write_transaction(self._db):
            Session.delete().where(Session.token_hash == _digest(session_secret)).execute()

    def caller_from_session(self, session_secret: str) -> Caller | None:
        """The caller of a session cookie, or None when it is unknown, expired or its user disabled."""
        row = (
            Session.select(Session, User)
            .join(User)
            .where(Session.token_hash == _digest(session_secret))
            .first()
        )
        now = utcnow()
        if row is None or row.expires_at < now or row.user.disabled:
            return None
        if row.last_seen_at is None or now - row.last_seen_at > LAST_USED_RESOLUTION:
            Session.update(last_seen_at=now).where(Session.id == row.id).execute()
        return Caller(row.user.id, row.user.username, row.user.is_admin, session_id=row.id)

    def csrf_token(self, session_secret: str) -> str:
        """The CSRF token bound to a session (HMAC of its secret; nothing stored)."""
        return hmac.new(self._csrf_key, session_secret.encode(), hashlib.sha256).hexdigest()

    def csrf_token_matches(self, session_secret: str, presented: str | None) -> bool:
        """Constant-time check of an ``X-CSRF-Token`` value against the session's token."""
        return bool(presented) and hmac.compare_digest(self.csrf_token(session_secret), presented)

    def list_sessions(self, user_id: int) -> list[Session]:
        """The user's live sessions, newest first."""
        return list(
            Session.select().where((Session.user == user_id) & (Session.expires_at >= utcnow()))
            .order_by(Session.created_at.desc(), Session.id.desc())
        )

    def revoke_session(self, user_id: int, session_id: int) -> None:
        """Raises NotFoundError when the user has no such session."""
        with write_transaction(self._db):
            deleted = Session.delete().where((Session.id == session_id) & (Session.user == user_id)).execute()
        if not deleted:
            raise NotFoundError(f"Session {session_id} not found")

    def change_password(self, caller: Caller, old_password: str, new_password: str, *,
                        address: str = "") -> int:
        """Set a new password and end every other session of the user; return how many ended.

        The current session (if the caller uses one) stays; API tokens are separate credentials and stay.

        Raises:
            ForbiddenError: read-only token, or the current password is wrong.
            RateLimitedError: too many wrong passwords (counted as failed logins).
            BadRequestError: the new password is under 8 characters.
        """
        if not caller.can_write:
            raise ForbiddenError("A read token cannot change the password")
        if len(new_password or "") < 8:
            raise BadRequestError("Password must be at least 8 characters long")
        user = self.get_user(caller.username)
        attempt = self._throttle.begin(user.username, address)
        if not self._password_matches(user, old_password):
            raise ForbiddenError("The current password is incorrect")
        self._throttle.succeeded(attempt)
        password_hash = self._hasher.hash(new_password)
        with write_transaction(self._db):
            User.update(password_hash=password_hash).where(User.id == user.id).execute()
            others = Session.delete().where(Session.user == user.id)
            if caller.session_id is not None:
                others = others.where(Session.id != caller.session_id)
            return others.execute()

    # --- API tokens ----------------------------------------------------------------------------------

    def create_token(self, user: User | int, name: str, role: str = "write", *,
                     expires_in_days: int | None = None, expires_at: datetime | None = None) -> tuple[Token, str]:
        """Create an API token; the secret is returned once and stored only hashed.

        Args:
            expires_in_days: lifetime in days (1-3650); or
            expires_at: an absolute expiry in the future (naive values are UTC). Neither: never expires.

        Raises:
            BadRequestError: empty name, unknown role, a bad expiry, or an organization.
            ForbiddenError: the user is disabled (disabling revoked their tokens; none are made meanwhile).
        """
        if not (name or "").strip() or len(name) > 255:
            raise BadRequestError("Token name must be 1-255 characters")
        if role not in ("read", "write"):
            raise BadRequestError(f"Token role must be 'read' or 'write', not {role!r}")
        expiry = _token_expiry(expires_in_days, expires_at)
        user_id = user.id if isinstance(user, User) else user
        owner = User.get_or_none(User.id == user_id)
        if owner is not None and owner.is_org:
            raise BadRequestError("Organizations cannot own tokens")
        if owner is not None and owner.disabled:
            raise ForbiddenError(DISABLED_MESSAGE)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self._db):
            token = Token.create(user=user, name=name.strip(), token_hash=_digest(secret), role=role,
                                 expires_at=expiry)
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
        """The caller of an API token (records its use at most once a minute).

        Raises:
            AuthenticationError: unknown, revoked or expired token, or its user is disabled.
        """
        caller, stale_token_id = self.check_token(secret)
        if stale_token_id is not None:
            self.touch_token(stale_token_id)
        return caller

    def check_token(self, secret: str) -> tuple[Caller, int | None]:
        """Read-only half of ``caller_from_token``: the caller, and the token id if its last-used time
        is due for an update (``touch_token``). One precompiled query, cheap enough for the event loop.

        Raises:
            AuthenticationError: unknown, revoked or expired token, or its user is disabled.
        """
        row = find_token(_digest(secret))
        if row is None or row.disabled:
            raise AuthenticationError()
        now = utcnow()
        if row.expires_at is not None and row.expires_at <= now:
            raise AuthenticationError("This token has expired")
        stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        caller = Caller(row.user_id, row.username, row.is_admin, row.role, row.name)
        return caller, row.token_id if stale else None

    def touch_token(self, token_id: int) -> None:
        """Record that a token was used now."""
        with write_transaction(self._db):
            Token.update(last_used_at=utcnow()).where(Token.id == token_id).execute()


def _token_expiry(expires_in_days: int | None, expires_at: datetime | None) -> datetime | None:
    """Naive-UTC expiry of a new token. Raises BadRequestError for a bad or ambiguous expiry."""
    if expires_in_days is not None and expires_at is not None:
        raise BadRequestError("Give either expires_in_days or expires_at, not both")
    now = utcnow()
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise BadRequestError(f"expires_in_days must be between 1 and {MAX_TOKEN_DAYS}")
        return now + timedelta(days=expires_in_days)
    if expires_at is not None:
        if expires_at.tzinfo is not None:
            expires_at = expires_at.astimezone(UTC).replace(tzinfo=None)
        if expires_at <= now:
            raise BadRequestError("expires_at must be in the future")
        if expires_at > now + timedelta(days=MAX_TOKEN_DAYS):
            raise BadRequestError(f"expires_at must be within {MAX_TOKEN_DAYS} days")
        return expires_at
    return None
