"""Transfer requests and the CSV import that drops borrower columns."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from transport.transfers import (
    TransferError,
    TransferRequest,
    check_in_away,
    read_transfer_csv,
    unique,
)

BORROWER = "BRW-99887766"
CSV = f"""strekkode;fra;til;årsak;lånenummer;låner navn;e-post;prioritet
03010012345678;SAN;BEK;reservasjon-ignored;{BORROWER};Kari Nordmann;kari@example.no;2
03010087654321;BEK;SAN;retur;{BORROWER};Kari Nordmann;kari@example.no;
"""


def test_borrower_columns_never_get_through(caplog: pytest.LogCaptureFixture) -> None:
    """A planted borrower id, name and e-mail appear in no request and no log line."""
    caplog.set_level(logging.DEBUG)
    text = CSV.replace("reservasjon-ignored", "reservert")
    reqs = read_transfer_csv(text)
    assert len(reqs) == 2
    everything = repr(reqs) + " ".join(str(dataclasses.asdict(r)) for r in reqs)
    for secret in (BORROWER, "Kari Nordmann", "kari@example.no"):
        assert secret not in everything
        assert secret not in caplog.text
    assert "lånenummer" in caplog.text  # the column *name* is reported as dropped
    assert {f.name for f in dataclasses.fields(TransferRequest)}.isdisjoint(
        {"borrower", "patron", "borrower_id", "cardnumber"}
    )


def test_fields_are_read() -> None:
    """Barcode, sites, reason, priority are taken from allow-listed columns."""
    reqs = read_transfer_csv(CSV.replace("reservasjon-ignored", "reservert"))
    assert (reqs[0].barcode, reqs[0].from_site, reqs[0].to_site) == ("03010012345678", "SAN", "BEK")
    assert reqs[0].reason == "reservation" and reqs[0].priority == 2
    assert reqs[1].reason == "return_home" and reqs[1].priority == 0


def test_comma_separated_and_bad_values() -> None:
    """Comma CSV works; a bad reason or a missing column names the line and column."""
    ok = read_transfer_csv("barcode,to,borrowernumber\n123,SAN,42\n")
    assert ok[0].to_site == "SAN"
    with pytest.raises(TransferError, match="line 2, column reason"):
        read_transfer_csv("barcode,to,reason\n123,SAN,smuggling\n")
    with pytest.raises(TransferError, match="to_site"):
        read_transfer_csv("barcode,cardnumber\n123,42\n")


def test_request_rules() -> None:
    """A request names one item or one cluster, never both; any copy needs a cluster."""
    with pytest.raises(ValueError):
        TransferRequest(to_site="SAN", reason="manual")
    with pytest.raises(ValueError):
        TransferRequest(to_site="SAN", reason="manual", barcode="1", any_copy=True)
    TransferRequest(to_site="SAN", reason="class_set", cluster="c1", any_copy=True)


def test_check_in_away_and_unique() -> None:
    """An item checked in away from home goes home; duplicates keep the highest priority."""
    assert check_in_away("1", "BEK", "BEK") is None
    r = check_in_away("1", "BEK", "SAN")
    assert r is not None and (r.from_site, r.to_site, r.reason) == ("BEK", "SAN", "return_home")
    a = TransferRequest(to_site="SAN", reason="manual", barcode="1", priority=1)
    b = dataclasses.replace(a, priority=3)
    assert unique([a, b]) == [b]
