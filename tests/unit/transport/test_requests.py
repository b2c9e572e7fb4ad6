"""The copy-choice rule of `transport.requests.choose`, without a database."""

from __future__ import annotations

from transport.requests import Copy, choose


def test_copy_at_destination_is_reported() -> None:
    """A copy on the shelf at the destination is returned as `here`, and is no candidate."""
    here, cands = choose([Copy("BEK", "2"), Copy("SKA", "1")], "SKA")
    assert here == Copy("SKA", "1") and cands == [Copy("BEK", "2")]


def test_one_candidate_per_site_lowest_barcode() -> None:
    """Several copies at one site give one candidate, the lowest barcode, sites in order."""
    here, cands = choose([Copy("SAN", "9"), Copy("BEK", "5"), Copy("SAN", "3")], "SKA")
    assert here is None
    assert cands == [Copy("BEK", "5"), Copy("SAN", "3")]


def test_no_copies_no_candidates() -> None:
    """Without copies there is nothing to choose."""
    assert choose([], "SKA") == (None, [])
