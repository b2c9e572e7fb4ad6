"""The auth core without a database: permission table, passwords, throttling rules, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from bokflyt.auth import (
    MIN_PASSWORD,
    PUBLIC_PERMISSIONS,
    InvalidRole,
    Permission,
    Role,
    ThrottlePolicy,
    WeakPassword,
    csrf_token,
    csrf_valid,
    hash_password,
    locked_for,
    parse_role,
    permissions_for,
    record_failure,
    throttle_key,
    verify_password,
)
from bokflyt.pages.errors import safe_next

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_librarian_cannot_dispatch_and_logistics_cannot_merge() -> None:
    """The two rules the issue names, read from the permission table."""
    assert Permission.DISPATCH_PLAN not in permissions_for("librarian")
    assert Permission.MERGE_RECORDS in permissions_for("librarian")
    assert Permission.MERGE_RECORDS not in permissions_for("logistics")
    assert Permission.DISPATCH_PLAN in permissions_for("logistics")


def test_admin_has_every_permission_and_others_no_sync_or_users() -> None:
    """Admin holds all permissions; only admin sees the sync dashboard or manages users."""
    assert permissions_for("admin") == frozenset(Permission)
    for role in ("librarian", "logistics"):
        assert Permission.VIEW_SYNC not in permissions_for(role)
        assert Permission.MANAGE_USERS not in permissions_for(role)


def test_anonymous_gets_read_only_search_only_when_configured() -> None:
    """Without public search an anonymous visitor may do nothing; with it, only read."""
    assert permissions_for(None) == frozenset()
    assert permissions_for(None, public_search=True) == PUBLIC_PERMISSIONS
    writes = {Permission.REQUEST_TRANSFER, Permission.MERGE_RECORDS, Permission.DISPATCH_PLAN}
    assert not PUBLIC_PERMISSIONS & writes


def test_unknown_role_grants_nothing_and_is_refused_when_parsed() -> None:
    """A role string not in the table gives no permissions; parse_role names it."""
    assert permissions_for("superuser") == frozenset()
    with pytest.raises(InvalidRole):
        parse_role("superuser")
    assert parse_role("logistics") is Role.LOGISTICS


def test_password_hash_is_argon2id_and_verifies() -> None:
    """Hashes are argon2id, salted (two hashes differ) and verify only the right password."""
    first, second = hash_password("korrekt hest batteri"), hash_password("korrekt hest batteri")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "korrekt hest batteri") == (True, None)
    assert verify_password(first, "korrekt hest batteri!")[0] is False
    assert verify_password(None, "anything at all")[0] is False
    assert verify_password("not a hash", "anything at all")[0] is False


def test_outdated_hash_parameters_are_upgraded_on_login() -> None:
    """A hash made with weaker parameters verifies and comes back rehashed."""
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("gammelt passord")
    ok, new_hash = verify_password(weak, "gammelt passord")
    assert ok and new_hash is not None and new_hash != weak


@pytest.mark.parametrize("password", ["", " " * 20, "x" * (MIN_PASSWORD - 1), "y" * 1025])
def test_weak_passwords_are_refused(password: str) -> None:
    """Too short, only spaces, or longer than 1024 characters is refused before hashing."""
    with pytest.raises(WeakPassword):
        hash_password(password)


def test_throttle_locks_after_five_failures_and_expires() -> None:
    """Four failures leave the pair free; the fifth locks it for the lockout, then it frees."""
    policy = ThrottlePolicy(max_failures=5, lockout=timedelta(minutes=5))
    row = None
    for i in range(4):
        row = record_failure(row, "kari|10.0.0.1", T0 + timedelta(seconds=i), policy)
        assert locked_for(row, T0 + timedelta(seconds=i)) is None
    row = record_failure(row, "kari|10.0.0.1", T0 + timedelta(seconds=4), policy)
    wait = locked_for(row, T0 + timedelta(seconds=5))
    assert wait is not None and timedelta(minutes=4) < wait <= timedelta(minutes=5)
    assert locked_for(row, T0 + timedelta(minutes=6)) is None


def test_throttle_forgets_old_failures() -> None:
    """Failures spread out beyond `forget_after` never add up to a lock."""
    policy = ThrottlePolicy(max_failures=3, forget_after=timedelta(minutes=30))
    row = None
    for hour in range(6):
        row = record_failure(row, "k", T0 + timedelta(hours=hour), policy)
    assert row is not None and row.failures == 1 and row.locked_until is None


def test_throttle_key_is_per_user_and_address() -> None:
    """The same user from two addresses, or two users from one address, count apart."""
    assert throttle_key(" Kari ", "10.0.0.1") == throttle_key("kari", "10.0.0.1")
    assert throttle_key("kari", "10.0.0.1") != throttle_key("kari", "10.0.0.2")
    assert throttle_key("kari", "10.0.0.1") != throttle_key("ola", "10.0.0.1")


def test_csrf_token_is_bound_to_seed_session_and_secret() -> None:
    """The token checks only with the same cookie seed, session token and server secret."""
    secret = "s" * 32
    token = csrf_token(secret, "seed", "session")
    assert csrf_valid(secret, "seed", "session", token)
    assert not csrf_valid(secret, "other-seed", "session", token)
    assert not csrf_valid(secret, "seed", "another-session", token)
    assert not csrf_valid(secret, "seed", None, token)
    assert not csrf_valid("t" * 32, "seed", "session", token)
    assert not csrf_valid(secret, "seed", "session", None)
    assert not csrf_valid(secret, None, "session", token)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/synk?x=1", "/synk?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        (None, "/"),
    ],
)
def test_login_redirect_stays_on_this_site(given: str | None, expected: str) -> None:
    """`next` after login is only ever a local path (no open redirect, no header injection)."""
    assert safe_next(given) == expected
