"""A day of crates to scan, shared by the scanning tests of the CLI, the core and the web.

Sites from the test configuration, four items with their records, reservations for A1 and A2,
and a dispatched plan whose crates are BEK>SKA (A1, A2) and SAN>BEK (A3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.settings import load_settings
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.records import BibRecord, record_to_dict
from transport.models import PlanCrate, RoutePlan, Transfer

DAY = dt.date(2026, 11, 30)
# barcode -> (shelf and home site, crate leg or None)
ITEMS = {"A1": ("BEK", "BEK>SKA"), "A2": ("BEK", "BEK>SKA"), "A3": ("SAN", "SAN>BEK"),
         "A4": ("BEK", None)}  # fmt: skip
TO_SKA = "K261130-01"  # crates sort by leg: BEK>SKA first
TO_BEK = "K261130-02"


def seed_scan_day(config_file: Path, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        mirror_configuration(s, load_settings(config_file))
    with session_factory.begin() as s:
        source = s.scalar(select(Source).where(Source.name == "public"))
        assert source is not None
        site_ids = {site.code: site.id for site in s.scalars(select(Site))}
        for barcode, (home, _leg) in ITEMS.items():
            data = record_to_dict(BibRecord("public", barcode, "Bok"))
            record = SourceRecord(source_id=source.id, record_id=barcode, raw=b"",
                                  raw_format="marc", checksum=barcode, title=f"Bok {barcode}",
                                  data=data)  # fmt: skip
            record.items.append(ItemRow(barcode=barcode, location_code=home,
                                        home_location_code=home, site_id=site_ids[home],
                                        status="on_shelf"))  # fmt: skip
            s.add(record)
        for barcode in ("A1", "A2"):
            s.add(Transfer(barcode=barcode, from_site="BEK", to_site="SKA", reason="reservation",
                           priority=0, any_copy=False, age_days=0, status="open"))  # fmt: skip
        plan = RoutePlan(day=DAY, status="dispatched", solver="test", vehicles=1, distance_m=0.0,
                         cost=0.0, problem_json={}, solution_json={})  # fmt: skip
        for leg in ("SAN>BEK", "BEK>SKA"):
            origin, dest = leg.split(">")
            barcodes = [b for b, (_h, item_leg) in ITEMS.items() if item_leg == leg]
            plan.crates.append(PlanCrate(origin=origin, destination=dest, number=1,
                                         barcodes=barcodes, routed=True))  # fmt: skip
        s.add(plan)
