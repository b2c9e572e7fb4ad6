"""Accounts, sessions and throttling stored in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import (
    LoginOutcome,
    UserExists,
    authenticate,
    close_session,
    count_sessions,
    create_user,
    find_user,
    open_session,
    session_user,
    set_password,
)
from bokflyt.models_web import LoginThrottle, WebSession

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
PASSWORD = "riktig-passord-123"


@pytest.fixture
def kari(session_factory: sessionmaker[Session]) -> str:
    with session_factory.begin() as session:
        create_user(session, "Kari", "librarian", PASSWORD, display_name="Kari Nordmann")
    return "kari"


def test_usernames_are_unique_ignoring_case(
    session_factory: sessionmaker[Session], kari: str
) -> None:
    """A second "KARI" is refused; lookups ignore case and surrounding spaces."""
    with session_factory() as session:
        with pytest.raises(UserExists):
            create_user(session, "KARI", "admin", PASSWORD)
        user = find_user(session, "  KaRi ")
        assert user is not None and user.role == "librarian"
        assert user.password_hash and PASSWORD not in user.password_hash


def test_five_failures_lock_even_the_right_password(
    session_factory: sessionmaker[Session], kari: str
) -> None:
    """After 5 wrong passwords from one address, the right one is refused until the lock ends."""
    for i in range(5):
        with session_factory.begin() as session:
            result = authenticate(session, kari, "feil", "10.0.0.9", now=T0 + timedelta(seconds=i))
        expected = LoginOutcome.THROTTLED if i == 4 else LoginOutcome.BAD_CREDENTIALS
        assert result.outcome is expected
    with session_factory.begin() as session:
        locked = authenticate(session, kari, PASSWORD, "10.0.0.9", now=T0 + timedelta(minutes=1))
        other_address = authenticate(session, kari, PASSWORD, "10.0.0.10", now=T0)
    assert locked.outcome is LoginOutcome.THROTTLED and locked.retry_after is not None
    assert other_address.outcome is LoginOutcome.OK
    with session_factory.begin() as session:
        later = authenticate(session, kari, PASSWORD, "10.0.0.9", now=T0 + timedelta(minutes=6))
    assert later.outcome is LoginOutcome.OK
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_unknown_user_is_answered_and_throttled_like_a_wrong_password(
    session_factory: sessionmaker[Session],
) -> None:
    """A username that does not exist gets the same answers, so accounts cannot be probed."""
    outcomes = []
    for i in range(5):
        with session_factory.begin() as session:
            result = authenticate(session, "nobody", "x", "10.0.0.9", now=T0 + timedelta(seconds=i))
        outcomes.append(result.outcome)
    assert outcomes == [LoginOutcome.BAD_CREDENTIALS] * 4 + [LoginOutcome.THROTTLED]


def test_disabled_account_cannot_log_in_or_keep_its_session(
    session_factory: sessionmaker[Session], kari: str
) -> None:
    """Deactivating an account refuses its password and ends the use of open sessions."""
    with session_factory.begin() as session:
        user = find_user(session, kari)
        assert user is not None
        token = open_session(session, user, hours=1, now=T0)
        user.active = False
    with session_factory.begin() as session:
        assert authenticate(session, kari, PASSWORD, "::1").outcome is LoginOutcome.BAD_CREDENTIALS
        assert session_user(session, token) is None


def test_session_lives_until_expiry_and_logout(
    session_factory: sessionmaker[Session], kari: str
) -> None:
    """A token finds its user until it expires or is closed; only its hash is stored."""
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        user = find_user(session, kari)
        assert user is not None
        token = open_session(session, user, hours=2, now=now)
    with session_factory.begin() as session:
        found = session_user(session, token, now=now + timedelta(hours=1))
        assert found is not None and found.username == kari
        assert session_user(session, token, now=now + timedelta(hours=3)) is None
        assert session_user(session, token + "x", now=now) is None
        assert session.get(WebSession, token) is None  # stored hashed, not as the token
        close_session(session, token)
    with session_factory() as session:
        assert session_user(session, token, now=now) is None


def test_new_password_ends_every_session(session_factory: sessionmaker[Session], kari: str) -> None:
    """`set_password` logs the user out everywhere; the old password stops working."""
    with session_factory.begin() as session:
        user = find_user(session, kari)
        assert user is not None
        tokens = [open_session(session, user, hours=1) for _ in range(2)]
        assert count_sessions(session, user) == 2
    with session_factory.begin() as session:
        set_password(session, kari, "et-helt-nytt-passord")
    with session_factory.begin() as session:
        assert all(session_user(session, token) is None for token in tokens)
        assert authenticate(session, kari, PASSWORD, "::1").outcome is LoginOutcome.BAD_CREDENTIALS
        assert authenticate(session, kari, "et-helt-nytt-passord", "::1").outcome is (
            LoginOutcome.OK
        )


def test_old_failures_of_other_pairs_are_forgotten(
    session_factory: sessionmaker[Session], kari: str
) -> None:
    """A failure clears throttle rows idle for longer than forget_after + lockout."""
    with session_factory.begin() as session:
        authenticate(session, "ola", "feil", "10.0.0.1", now=T0)
    with session_factory.begin() as session:
        authenticate(session, kari, "feil", "10.0.0.2", now=T0 + timedelta(hours=2))
    with session_factory() as session:
        keys = set(session.scalars(select(LoginThrottle.key)))
    assert keys == {"kari|10.0.0.2"}
