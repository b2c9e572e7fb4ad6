"""Who may do what: roles and permissions, passwords, sessions, login throttling, CSRF tokens.

The web layer (`bokflyt.pages.common`) turns these into FastAPI dependencies; the CLI
(`bokflyt users`) uses the same functions, so an account made on the command line logs in on
the web. Functions here take a SQLAlchemy session and never commit: the caller's unit of work
does (STYLE habit 4).

Errors::

    AuthError                 anything this module refuses, with a message id for the user
    ├── UnknownUser           no such account
    ├── UserExists            the username is taken
    ├── InvalidRole           not one of librarian / logistics / admin
    └── WeakPassword          too short, too long, or only spaces

Throttling counts failures per (username, client address): after `max_failures` in a row the
pair is locked for `lockout`; while locked, the password is not even checked, so guessing on
cannot tell right from wrong. A success clears the count. Unknown usernames are throttled and
answered exactly like wrong passwords (same message, a hash verified all the same), so the
login form does not reveal which accounts exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bokflyt.models_web import LoginThrottle, User, WebSession

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class AuthError(Exception):
    """Refused by the auth layer; `message_id` names the text shown to the user."""

    message_id = "auth.error"

    def __init__(self, detail: str, message_id: str | None = None, **params: object) -> None:
        super().__init__(detail)
        if message_id is not None:
            self.message_id = message_id
        self.params = params


class UnknownUser(AuthError):
    message_id = "auth.unknown_user"


class UserExists(AuthError):
    message_id = "auth.user_exists"


class InvalidRole(AuthError):
    message_id = "auth.invalid_role"


class WeakPassword(AuthError):
    message_id = "auth.weak_password"


class Role(StrEnum):
    LIBRARIAN = "librarian"
    LOGISTICS = "logistics"
    ADMIN = "admin"


class Permission(StrEnum):
    """Actions a page or API route may require; pages that land later use these names."""

    SEARCH = "search"
    VIEW_RECORD = "view_record"
    REQUEST_TRANSFER = "request_transfer"
    MERGE_RECORDS = "merge_records"
    VIEW_SITES = "view_sites"
    VIEW_PLANS = "view_plans"
    PLAN_ROUTES = "plan_routes"
    DISPATCH_PLAN = "dispatch_plan"
    PRINT_SHEETS = "print_sheets"
    SCAN_CRATES = "scan_crates"
    VIEW_SYNC = "view_sync"
    MANAGE_USERS = "manage_users"


_STAFF = frozenset(
    {
        Permission.SEARCH,
        Permission.VIEW_RECORD,
        Permission.REQUEST_TRANSFER,
        Permission.VIEW_SITES,
        Permission.VIEW_PLANS,
    }
)

# The permission table. Librarians look after the catalogue (merge/split records); logistics
# staff run the van (plan, dispatch, print, scan). Neither does the other's irreversible work.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.LIBRARIAN: _STAFF | {Permission.MERGE_RECORDS},
    Role.LOGISTICS: _STAFF
    | {
        Permission.PLAN_ROUTES,
        Permission.DISPATCH_PLAN,
        Permission.PRINT_SHEETS,
        Permission.SCAN_CRATES,
    },
    Role.ADMIN: frozenset(Permission),
}

# What anyone may do without logging in when `[web] public_search = true`: read, never write.
PUBLIC_PERMISSIONS = frozenset({Permission.SEARCH, Permission.VIEW_RECORD})


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRole(f"unknown role {value!r}", role=value) from None


def permissions_for(role: str | None, public_search: bool = False) -> frozenset[Permission]:
    """The permissions of a role; `None` is an anonymous visitor."""
    if role is None:
        return PUBLIC_PERMISSIONS if public_search else frozenset()
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()  # a role renamed or removed in code grants nothing


# --- passwords -----------------------------------------------------------------------------


@cache
def _hasher() -> PasswordHasher:
    """argon2id with the library's RFC 9106 defaults, built on first use."""
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def check_password_policy(password: str) -> None:
    """Length is what matters (NIST SP 800-63B); the upper bound keeps hashing cheap."""
    if len(password) < MIN_PASSWORD or not password.strip():
        raise WeakPassword("password too short", minimum=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(
            "password too long", message_id="auth.password_too_long", maximum=MAX_PASSWORD
        )


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses outdated parameters, else None)."""
    if stored is None:
        _burn(password)
        return False, None
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if _hasher().check_needs_rehash(stored):
        return True, _hasher().hash(password)
    return True, None


def _burn(password: str) -> None:
    """Spend the time of one verification, so missing accounts answer as slowly as real ones."""
    with contextlib.suppress(VerificationError):
        _hasher().verify(_dummy_hash(), password)


# --- accounts ------------------------------------------------------------------------------


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything bokflyt stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str | None,
    display_name: str | None = None,
    site_code: str | None = None,
) -> User:
    """A new account; `password=None` makes an SSO-only account."""
    name = normalise_username(username)
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise AuthError(f"invalid username {username!r}", message_id="auth.invalid_username")
    parsed = parse_role(role)
    if find_user(session, name) is not None:
        raise UserExists(f"user {name!r} exists", username=name)
    user = User(
        username=name,
        display_name=display_name or name,
        role=parsed.value,
        site_code=site_code,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        created_at=now_utc(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """Change a password and end the account's sessions everywhere."""
    user = find_user(session, username)
    if user is None:
        raise UnknownUser(f"no user {username!r}", username=username)
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


# --- throttling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """`max_failures` wrong passwords in a row lock the pair for `lockout`."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=5)
    forget_after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lockout <= timedelta(0):
            raise ValueError("max_failures must be >= 1 and lockout positive")


def throttle_key(username: str, client: str) -> str:
    return f"{normalise_username(username)[:200]}|{client[:100]}"


def locked_for(row: LoginThrottle | None, now: datetime) -> timedelta | None:
    """How long the pair must still wait, or None when it may try."""
    if row is None or row.locked_until is None:
        return None
    remaining = as_utc(row.locked_until) - now
    return remaining if remaining > timedelta(0) else None


def record_failure(
    row: LoginThrottle | None, key: str, now: datetime, policy: ThrottlePolicy
) -> LoginThrottle:
    """The row after one more failure: counts restart after a quiet `forget_after`."""
    if row is None:
        row = LoginThrottle(key=key, failures=0, last_failure_at=now)
    elif now - as_utc(row.last_failure_at) > policy.forget_after:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    row.locked_until = now + policy.lockout if row.failures >= policy.max_failures else None
    return row


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    retry_after: timedelta | None = None


def authenticate(
    session: Session,
    username: str,
    password: str,
    client: str,
    now: datetime | None = None,
    policy: ThrottlePolicy | None = None,
) -> LoginResult:
    """Check a login, counting failures; the caller commits whatever the outcome."""
    now = now or now_utc()
    policy = policy or ThrottlePolicy()
    key = throttle_key(username, client)
    row = session.get(LoginThrottle, key)
    wait = locked_for(row, now)
    if wait is not None:
        return LoginResult(LoginOutcome.THROTTLED, retry_after=wait)
    user = find_user(session, username) if len(password) <= MAX_PASSWORD else None
    stored = user.password_hash if user is not None and user.active else None
    ok, rehashed = verify_password(stored, password[:MAX_PASSWORD])
    if not ok or user is None:
        stale = now - policy.forget_after - policy.lockout
        session.execute(  # forget other pairs' old failures, so the table stays small
            delete(LoginThrottle)
            .where(LoginThrottle.last_failure_at < stale, LoginThrottle.key != key)
            .execution_options(synchronize_session=False)
        )
        row = record_failure(row, key, now, policy)
        session.add(row)
        wait = locked_for(row, now)
        if wait is not None:
            return LoginResult(LoginOutcome.THROTTLED, retry_after=wait)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if row is not None:
        session.delete(row)
    if rehashed:
        user.password_hash = rehashed
    user.last_login_at = now
    return LoginResult(LoginOutcome.OK, user=user)


# --- sessions ------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user: User, hours: float, now: datetime | None = None) -> str:
    """A new session for `user`; returns the token for the cookie (only its hash is stored)."""
    now = now or now_utc()
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return token


def session_user(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user behind a session token, or None when unknown, expired or disabled."""
    if not token or len(token) > 100:
        return None
    found = session.execute(
        select(User, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_digest(token), User.active.is_(True))
    ).first()  # one query per request: this runs on every page
    if found is None or as_utc(found[1]) <= (now or now_utc()):
        return None
    return found[0]


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))


def count_sessions(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
        )
        or 0
    )


# --- CSRF ----------------------------------------------------------------------------------


def csrf_token(secret: str, seed: str, session_token: str | None) -> str:
    """The form token for a browser: an HMAC of its CSRF cookie bound to its login session.

    A page on another site can make the browser send our cookies but can neither read them
    nor compute this value, and a token from before a login stops working after it.
    """
    message = f"{seed}|{session_token or ''}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def csrf_valid(secret: str, seed: str | None, session_token: str | None, given: str | None) -> bool:
    if not seed or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, seed, session_token), given)
