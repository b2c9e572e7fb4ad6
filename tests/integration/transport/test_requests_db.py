"""`transfers request/list/cancel` and `transport.requests.request_copy` on a real database, and
an "any copy" transfer planned, stored and dispatched by `routes plan`/`routes dispatch`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands.routes import routes
from bokflyt.commands.transfers import transfers
from bokflyt.context import AppContext
from bokflyt.settings import load_settings
from catalog.models import ItemRow, Site, Source, SourceRecord
from transport.models import PlanCrate, Transfer
from transport.requests import (
    AlreadyThere,
    NoCopyAvailable,
    UnknownCluster,
    UnknownSite,
    request_copy,
)

MONDAY = "2026-11-30"

# record (source, id, cluster, work) -> copies (barcode, site, status)
HOLDINGS = {
    ("public", "100", "c1", "w1"): [("A1", "BEK", "on_shelf"), ("A2", "SAN", "on_shelf"),
                                     ("A3", "SAN", "on_loan")],
    ("school", "200", "c1", "w1"): [("B1", "SAN", "on_shelf")],
    ("public", "300", "c2", "w1"): [("C1", "SKA", "on_shelf")],
    ("public", "400", None, None): [("D1", "BEK", "on_shelf")],
    ("public", "500", "c5", None): [("E1", "SKA", "on_loan")],
    ("public", "600", "c6", "w6"): [("F1", "BEK", "on_shelf"), ("F2", "BEK", "on_shelf"),
                                     ("F3", "SAN", "on_shelf"), ("F4", "SAN", "on_shelf")],
}  # fmt: skip


@pytest.fixture
def catalogue(config_file: Path, session_factory: sessionmaker[Session]) -> Path:
    """Sites and sources from the config; five records with copies on and off the shelf."""
    with session_factory.begin() as s:
        mirror_configuration(s, load_settings(config_file))
        s.flush()
        sources = {x.name: x for x in s.scalars(select(Source))}
        sites = {x.code: x.id for x in s.scalars(select(Site))}
        for (src, rid, cluster, work), copies in HOLDINGS.items():
            rec = SourceRecord(
                source=sources[src],
                record_id=rid,
                raw=b"<record/>",
                raw_format="marcxml",
                checksum=rid * 4,
                title=f"Tittel {rid}",
                cluster_id=cluster,
                work_id=work,
            )
            for barcode, site, status in copies:
                rec.items.append(
                    ItemRow(barcode=barcode, location_code=site, site_id=sites[site], status=status)
                )
            s.add(rec)
    return config_file


def _run(config: Path, group: object, *args: str) -> tuple[int, str]:
    ctx = AppContext(config_path=config)
    try:
        res = CliRunner().invoke(group, list(args), obj=ctx)  # type: ignore[arg-type]
        return res.exit_code, res.output
    finally:
        ctx.close()


def test_several_sites_make_an_any_copy_transfer(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """Copies on the shelf at BEK and SAN (two there, one lent out) give an any-copy transfer
    with one candidate per site, the lowest barcode at each."""
    with session_factory.begin() as s:
        t = request_copy(s, "c1", "SKA", priority=2)
        assert t.any_copy and t.barcode is None and t.from_site is None
        assert t.candidates == [["BEK", "A1"], ["SAN", "A2"]]
        assert (t.priority, t.reason, t.status) == (2, "reservation", "open")


def test_one_site_makes_an_item_transfer_by_source_and_record(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """An unclustered record addressed as SOURCE:RECORDID with one copy gives an item transfer;
    that copy is then claimed, so a second request finds no copy."""
    with session_factory.begin() as s:
        t = request_copy(s, "public:400", "SKA")
        assert (t.any_copy, t.barcode, t.from_site, t.cluster_key) == (
            False,
            "D1",
            "BEK",
            "public:400",
        )
        with pytest.raises(NoCopyAvailable):
            request_copy(s, "public:400", "SAN")


def test_copy_on_shelf_at_destination_creates_nothing(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """A copy already on the destination's shelf refuses the request; with --any-edition a copy
    of another edition of the same work counts too."""
    with session_factory.begin() as s:
        with pytest.raises(AlreadyThere) as err:
            request_copy(s, "c1", "BEK")
        assert err.value.barcode == "A1"
        request_copy(s, "c1", "SKA")  # this edition is not at SKA ...
        with pytest.raises(AlreadyThere):
            request_copy(s, "c1", "SKA", any_edition=True)  # ... but C1 of the work is
        assert len(s.scalars(select(Transfer)).all()) == 1


def test_unknown_cluster_site_and_no_copy(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """Unknown clusters and sites, and a title whose only copy is lent out, are refused."""
    with session_factory.begin() as s:
        with pytest.raises(UnknownCluster):
            request_copy(s, "nope", "SKA")
        with pytest.raises(UnknownSite):
            request_copy(s, "c1", "XXX")
        with pytest.raises(NoCopyAvailable):
            request_copy(s, "c5", "BEK")
        assert s.scalars(select(Transfer)).all() == []


def test_cli_request_list_cancel(catalogue: Path) -> None:
    """The CLI creates, lists (table and JSON) and cancels transfers, in bokmål; refusals exit 1."""
    code, out = _run(catalogue, transfers, "request", "c1", "--to", "SKA", "--from-date", MONDAY)
    assert code == 0 and "Overføring 1 opprettet" in out and "BEK, SAN" in out, out
    code, out = _run(catalogue, transfers, "request", "c1", "--to", "BEK")
    assert code == 1 and "allerede på hylla på BEK" in out and "A1" in out, out
    code, out = _run(catalogue, transfers, "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["any_copy"], r["candidate_sites"], r["not_before"]) for r in rows] == [
        (1, True, ["BEK", "SAN"], MONDAY)
    ]
    code, out = _run(catalogue, transfers, "list")
    assert code == 0 and "åpen" in out and "BEK/SAN" in out and "(velges)" in out, out
    assert _run(catalogue, transfers, "cancel", "1") == (0, "Overføring 1 er avbrutt.\n")
    code, out = _run(catalogue, transfers, "cancel", "1")
    assert code == 1 and "avbrutt og kan ikke avbrytes" in out
    code, out = _run(catalogue, transfers, "list")
    assert out.strip() == "Ingen overføringer."


def test_any_copy_planned_chosen_and_dispatched(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """`routes plan` routes an any-copy transfer, records the chosen site and barcode on the
    transfer and in a crate, and dispatch moves exactly that copy."""
    code, out = _run(catalogue, transfers, "request", "c1", "--to", "SKA")
    assert code == 0, out
    code, out = _run(catalogue, routes, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0 and "valgt eksemplar for overføring 1" in out, out
    with session_factory() as s:
        t = s.get(Transfer, 1)
        assert t is not None and (t.from_site, t.barcode) in {("BEK", "A1"), ("SAN", "A2")}
        crate = s.scalar(select(PlanCrate).where(PlanCrate.destination == "SKA"))
        assert crate is not None and crate.barcodes == [t.barcode] and crate.routed
        assert crate.origin == t.from_site
    code, out = _run(catalogue, routes, "dispatch", "--date", MONDAY)
    assert code == 0 and "sendt ut" in out, out
    with session_factory() as s:
        t = s.get(Transfer, 1)
        assert t is not None and (t.at_site, t.status) == ("SKA", "in_transit")


def test_any_copy_without_copies_left_is_noted(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """If every candidate copy has left the shelf since the request, planning says so."""
    assert _run(catalogue, transfers, "request", "c1", "--to", "SKA")[0] == 0
    with session_factory.begin() as s:
        for item in s.scalars(select(ItemRow).where(ItemRow.barcode.in_(["A1", "A2"]))):
            item.status = "on_loan"
    code, out = _run(catalogue, routes, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0 and "overføring 1: ingen av eksemplarene står lenger på hylla" in out, out


def test_any_copy_crate_is_on_the_route_sheet_and_labelled(
    catalogue: Path, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: the crate of an any-copy transfer is printed at its pickup and delivery
    stops and gets a label (its stops carry the transfer's shipment id, not the leg)."""
    from pypdf import PdfReader

    from bokflyt.commands.crates import crates
    from bokflyt.commands.routes_print import print_cmd
    from transport.models import RoutePlan
    from transport.print_plan import numbered_crates

    assert _run(catalogue, transfers, "request", "c1", "--to", "SKA")[0] == 0
    code, out = _run(catalogue, routes, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0, out
    with session_factory() as s:
        plan = s.scalar(select(RoutePlan))
        assert plan is not None
        crate_id = next(cid for cid, c in numbered_crates(plan) if c.shipment == "T1>SKA")
        barcode = s.get(Transfer, 1).barcode  # type: ignore[union-attr]
    sheet, labels = tmp_path / "sheet.pdf", tmp_path / "labels.pdf"
    code, out = _run(catalogue, print_cmd, "--date", MONDAY, "-o", str(sheet))
    assert code == 0, out
    code, out = _run(catalogue, crates, "labels", "--date", MONDAY, "-o", str(labels))
    assert code == 0, out
    sheet_text = "".join(page.extract_text() for page in PdfReader(sheet).pages)
    label_text = "".join(page.extract_text() for page in PdfReader(labels).pages)
    assert sheet_text.count(crate_id) == 2  # picked up at the chosen site, dropped at SKA
    assert crate_id in label_text and str(barcode) in label_text


def test_requests_never_list_one_copy_twice(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """A second request for the same title lists other copies than the first: c1 has A1 (BEK),
    A2 and B1 (SAN) on the shelf, so the first lists A1 and A2, the second can only have B1
    (an item transfer), and a third finds nothing left."""
    with session_factory.begin() as s:
        first = request_copy(s, "c1", "SKA")
        second = request_copy(s, "c1", "SKA")
        assert first.candidates == [["BEK", "A1"], ["SAN", "A2"]]
        assert (second.any_copy, second.from_site, second.barcode) == (False, "SAN", "B1")
        with pytest.raises(NoCopyAvailable):
            request_copy(s, "c1", "SKA")


def test_requests_sharing_candidate_sites_travel_in_one_crate(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """Two requests for c6 (two copies at BEK, two at SAN) to SKA are one shipment: the van
    collects both at one site, in one crate holding two different copies, and the transfers
    name those copies."""
    for _ in range(2):
        assert _run(catalogue, transfers, "request", "c6", "--to", "SKA")[0] == 0
    code, out = _run(catalogue, routes, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0, out
    with session_factory() as s:
        (crate,) = s.scalars(select(PlanCrate).where(PlanCrate.destination == "SKA")).all()
        t1, t2 = s.get(Transfer, 1), s.get(Transfer, 2)
        assert t1 is not None and t2 is not None
        assert crate.shipment == "T1+1>SKA" and crate.routed
        assert t1.from_site == t2.from_site == crate.origin
        assert sorted(crate.barcodes) == sorted([t1.barcode, t2.barcode])
        assert len(set(crate.barcodes)) == 2


def test_planning_hands_an_old_overlapping_candidate_to_one_transfer_only(
    catalogue: Path, session_factory: sessionmaker[Session]
) -> None:
    """Transfers stored before requests kept candidates apart may list the same copy: planning
    offers it to the older transfer only, and a copy claimed by an item transfer to none."""
    import datetime as dt

    from transport.plan_store import pending_any_copy

    with session_factory.begin() as s:
        for cands in ([["BEK", "F1"], ["SAN", "F3"]], [["BEK", "F1"], ["SAN", "F4"]]):
            s.add(Transfer(to_site="SKA", reason="class_set", any_copy=True, candidates=cands))
        s.add(Transfer(to_site="SKA", reason="manual", barcode="F4", from_site="SAN"))
    with session_factory() as s:
        items, notes = pending_any_copy(s, dt.date.fromisoformat(MONDAY))
    assert [(i.ref, i.candidates) for i in items] == [("T1", (("BEK", "F1"), ("SAN", "F3")))]
    assert notes == ["overføring 2: ingen av eksemplarene står lenger på hylla"]
