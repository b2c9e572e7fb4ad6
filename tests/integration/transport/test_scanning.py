"""Crate scans and item check-in against a real database: status, site, transfers, warnings."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.commands.crates import crates
from bokflyt.commands.items import items
from bokflyt.context import AppContext
from catalog.models import ItemRow
from catalog.search_index import index_version
from transport.models import Transfer
from transport.models_scan import CrateScan
from transport.scanning import ScanError, WrongSite, checkin_item, scan_crate

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from scan_day import TO_BEK, TO_SKA, seed_scan_day  # noqa: E402


@pytest.fixture
def day(config_file: Path, session_factory: sessionmaker[Session]) -> Path:
    """The configuration of a seeded day of crates (see `scan_day`)."""
    seed_scan_day(config_file, session_factory)
    return config_file


def _item(s: Session, barcode: str) -> tuple[str, str | None]:
    row = s.scalar(select(ItemRow).where(ItemRow.barcode == barcode))
    assert row is not None and row.site is not None
    return row.status, row.site.code


def test_pickup_then_delivery_moves_items_and_transfers(
    day: Path, session_factory: sessionmaker[Session]
) -> None:
    """Pickup puts items in transit; delivery puts them on the shelf at the destination,
    ends their transfers and re-indexes search."""
    with session_factory.begin() as s:
        version = index_version(s)
        result = scan_crate(s, TO_SKA, "picked_up", "BEK")
        assert result.items == 2 and not result.forward
    with session_factory() as s:
        assert _item(s, "A1") == ("in_transit", "BEK")
        assert _item(s, "A3") == ("on_shelf", "SAN")
        assert set(s.scalars(select(Transfer.status))) == {"in_transit"}
        assert index_version(s) > version
    with session_factory.begin() as s:
        scan_crate(s, TO_SKA.lower(), "delivered", "SKA")
    with session_factory() as s:
        assert _item(s, "A1") == ("on_shelf", "SKA") and _item(s, "A2") == ("on_shelf", "SKA")
        assert set(s.scalars(select(Transfer.status))) == {"delivered"}
        scans = s.scalars(select(CrateScan).order_by(CrateScan.id)).all()
        assert [(c.event, c.site, c.forward) for c in scans] == [
            ("picked_up", "BEK", False),
            ("delivered", "SKA", False),
        ]


def test_wrong_site_warns_and_flags_forwarding(
    day: Path, session_factory: sessionmaker[Session]
) -> None:
    """A crate delivered at the wrong site warns in bokmål, is flagged, and stays in transit."""
    with session_factory.begin() as s:
        scan_crate(s, TO_BEK, "picked_up", "SAN")
        with pytest.warns(WrongSite, match="Feil sted: kasse K261130-02 skal levert på BEK"):
            result = scan_crate(s, TO_BEK, "delivered", "SKA")
    assert result.forward and result.expected_site == "BEK"
    with session_factory() as s:
        assert _item(s, "A3") == ("in_transit", "SAN")
        flagged = s.scalars(select(CrateScan).where(CrateScan.forward)).all()
        assert [(c.crate_id, c.site, c.expected_site) for c in flagged] == [(TO_BEK, "SKA", "BEK")]


def test_checkin_away_from_home_opens_one_return_transfer(
    day: Path, session_factory: sessionmaker[Session]
) -> None:
    """An item checked in away from home gets one return-home transfer; at home, none."""
    with session_factory.begin() as s:
        first = checkin_item(s, "A4", "SAN")
        again = checkin_item(s, "A4", "SAN")
    assert first.home == "BEK" and first.return_transfer is not None
    assert again.return_transfer is None
    with session_factory() as s:
        assert _item(s, "A4") == ("on_shelf", "SAN")
        (t,) = s.scalars(select(Transfer).where(Transfer.barcode == "A4")).all()
        assert (t.from_site, t.to_site, t.reason, t.status) == ("SAN", "BEK", "return_home", "open")
    with session_factory.begin() as s:
        assert checkin_item(s, "A3", "SAN").return_transfer is None


def test_checkin_at_reservation_destination_is_no_return(
    day: Path, session_factory: sessionmaker[Session]
) -> None:
    """An item checked in where its transfer was going completes it and is not sent home."""
    with session_factory.begin() as s:
        result = checkin_item(s, "A1", "SKA")
    assert result.return_transfer is None
    with session_factory() as s:
        statuses = dict(
            (t.barcode, t.status) for t in s.scalars(select(Transfer).order_by(Transfer.id))
        )
        assert statuses == {"A1": "delivered", "A2": "open"}


def test_unknown_crate_site_and_barcode_are_refused(
    day: Path, session_factory: sessionmaker[Session]
) -> None:
    """Unknown crate ids, sites and barcodes raise ScanError and change nothing."""
    with session_factory() as s:
        for crate, site in (("K261130-09", "SKA"), ("K261201-01", "SKA"), ("boks", "SKA"),
                            (TO_SKA, "XYZ")):  # fmt: skip
            with pytest.raises(ScanError):
                scan_crate(s, crate, "delivered", site)
        with pytest.raises(ScanError):
            checkin_item(s, "NOPE", "SAN")


def _run(config: Path, group: click.Group, *args: str) -> tuple[int, str]:
    ctx = AppContext(config_path=config)
    try:
        res = CliRunner().invoke(group, list(args), obj=ctx)
        return res.exit_code, res.output
    finally:
        ctx.close()


def test_cli_scan_and_checkin(day: Path, session_factory: sessionmaker[Session]) -> None:
    """The commands answer in bokmål; a wrong site warns (exit 0), an unknown crate exits 1."""
    code, out = _run(day, crates, "scan", TO_BEK, "--picked-up", "--at", "SAN")
    assert code == 0 and "hentet på SAN: 1 eksemplar" in out, out
    code, out = _run(day, crates, "scan", TO_BEK, "--delivered", "--at", "SKA")
    assert code == 0 and "ADVARSEL: Feil sted" in out and "videresending" in out, out
    code, out = _run(day, crates, "scan", "K261130-77", "--delivered", "--at", "SKA")
    assert code == 1 and "finnes ikke" in out
    code, out = _run(day, crates, "scan", TO_BEK, "--at", "SKA")
    assert code == 2
    code, out = _run(day, items, "checkin", "A4", "--at", "SAN")
    assert code == 0 and "returoverføring" in out, out
