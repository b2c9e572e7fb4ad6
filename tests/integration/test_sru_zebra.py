"""The SRU client against a real Zebra: what arrives is exactly what was indexed.

A session-scoped Zebra is started on a loopback port with generated MARCXML (Koha 952 items,
Norwegian titles) plus two broken records; the tests harvest it through the real protocol.
"""

from __future__ import annotations

import io
import math
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from zebra_server import ZebraServer, load_generator, zebra_missing  # noqa: E402

from adapters.bib import NotBibliographic, to_bib
from adapters.errors import SruDiagnostic
from adapters.holdings import PROFILES, SiteMap, extract_items
from adapters.marc import MarcRecord, Quarantined, ReadResult, read_marcxml
from adapters.sru import SruClient, SruConfig, SruRecord, make_session, read_records
from catalog.records import BibRecord

pytestmark = [
    pytest.mark.zebra,
    pytest.mark.skipif(zebra_missing() is not None, reason=zebra_missing() or ""),
]

RECORDS = 257  # not a multiple of any page size used below
SEED = 42
SITES = SiteMap(site_codes=frozenset({"SAN", "BEK", "HOV", "EIK", "RYK"}))  # FOR left unknown


@pytest.fixture(scope="session")
def collection() -> str:
    """The MARCXML the server is loaded with: generated titles plus two broken records."""
    gen = load_generator()
    chunks = list(gen.public_collection(SEED, RECORDS, broken=False))
    broken = gen.broken_records()[:2]  # no title; short leader (both have a 001)
    return "".join(chunks[:-1] + broken + chunks[-1:])


@pytest.fixture(scope="session")
def zebra(tmp_path_factory: pytest.TempPathFactory, collection: str) -> Iterator[str]:
    """A running Zebra holding `collection`; yields its SRU base URL."""
    server = ZebraServer(tmp_path_factory.mktemp("zebra"))
    server.index("public.xml", collection)
    try:
        yield server.start()
    finally:
        server.stop()


def _bib(result: ReadResult) -> BibRecord | None:
    if not isinstance(result, MarcRecord):
        return None
    items = extract_items(result.record, PROFILES["koha-952"], SITES).items
    try:
        return to_bib(result.record, "zebra", items)
    except NotBibliographic:
        return None


@pytest.fixture(scope="session")
def expected(collection: str) -> dict[str, BibRecord]:
    """Records as read straight from the file that was indexed, by 001."""
    out = {}
    for result in read_marcxml(io.BytesIO(collection.encode("utf-8"))):
        bib = _bib(result)
        if bib is not None:
            out[bib.record_id] = bib
    return out


def _client(url: str, **options: object) -> SruClient:
    config = SruConfig(url=url, requests_per_second=1000, timeout=10, **options)  # type: ignore[arg-type]
    return SruClient(config, make_session(retries=1))


def _harvest(client: SruClient, query: str = "cql.allRecords=1") -> tuple[list[ReadResult], int]:
    results: list[ReadResult] = []
    pages = 0
    for page in client.harvest(query):
        pages += 1
        results.extend(read_records(page.results))
    return results, pages


def test_full_harvest_brings_every_indexed_record(
    zebra: str, expected: dict[str, BibRecord]
) -> None:
    """A full harvest returns every indexed record once; the broken ones are quarantined."""
    results, pages = _harvest(_client(zebra, page_size=50))
    bibs = [b for r in results if (b := _bib(r)) is not None]
    assert len(results) == RECORDS + 2
    assert pages == math.ceil((RECORDS + 2) / 50)
    assert sorted(b.record_id for b in bibs) == sorted(expected)
    reasons = {r.ref: r.reason for r in results if isinstance(r, Quarantined)}
    assert reasons == {"BROKEN2": "leader har 8 tegn, ikke 24"}
    no_title = [r for r in results if isinstance(r, MarcRecord) and r.control_number == "BROKEN1"]
    assert len(no_title) == 1 and _bib(no_title[0]) is None


def test_client_hands_on_records_as_the_server_sent_them(zebra: str) -> None:
    """The client yields each payload element with its position; `read_records` makes MARC."""
    page = next(iter(_client(zebra, page_size=20).harvest("cql.allRecords=1")))
    assert len(page.results) == 20 and all(isinstance(r, SruRecord) for r in page.results)
    first = page.results[0]
    assert isinstance(first, SruRecord)
    assert first.position == 1 and first.schema == "marcxml"
    assert first.element.tag == "{http://www.loc.gov/MARC21/slim}record"
    (marc,) = read_records([first])
    assert isinstance(marc, MarcRecord)
    assert marc.raw == first.raw and marc.position == 1 and marc.control_number == "P0000001"


def test_sample_records_arrive_field_for_field(zebra: str, expected: dict[str, BibRecord]) -> None:
    """Every field of sampled records (items included) equals the record read from the file."""
    results, _ = _harvest(_client(zebra, page_size=100))
    harvested = {b.record_id: b for r in results if (b := _bib(r)) is not None}
    for record_id in ("P0000001", "P0000100", f"P{RECORDS:07d}"):
        assert harvested[record_id] == expected[record_id]
    sample = harvested["P0000001"]
    assert sample.title and sample.main_author and sample.isbns and sample.items
    names = " ".join(b.title + (b.main_author or "") for b in harvested.values())
    assert set("æøå") & set(names.lower())  # Norwegian letters survive the round trip
    assert harvested == expected


def test_items_per_site_match_the_file(zebra: str, expected: dict[str, BibRecord]) -> None:
    """Copies per site (and unresolved location codes) are the same as in the indexed file."""
    results, _ = _harvest(_client(zebra, page_size=64))
    got = Counter(
        i.site or f"?{i.location_code}" for r in results if (b := _bib(r)) for i in b.items
    )
    want = Counter(i.site or f"?{i.location_code}" for b in expected.values() for i in b.items)
    assert got == want
    assert got["?FOR"] > 0  # the unknown branch is reported, not dropped


@pytest.mark.parametrize("page_size", [1, 7, 50, 258, 259, 1000])
def test_paging_across_page_boundaries(zebra: str, page_size: int) -> None:
    """Any page size yields records 1..N once each, in order, with no gap or repeat."""
    client = _client(zebra, page_size=page_size)
    if page_size == 1:
        pages = list(client.harvest("cql.allRecords=1", start=250))
        positions = [r.position for p in pages for r in p.results]
        assert positions == list(range(250, RECORDS + 3))
        return
    positions = [r.position for p in client.harvest("cql.allRecords=1") for r in p.results]
    assert positions == list(range(1, RECORDS + 3))


def test_empty_result_is_one_page_with_nothing(zebra: str) -> None:
    """A query that matches nothing gives one empty page and ends."""
    pages = list(_client(zebra).harvest("dc.title=finnesikkeiverden"))
    assert len(pages) == 1
    assert pages[0].total == 0 and pages[0].results == () and pages[0].next_start is None


def test_cql_syntax_error_is_a_clear_diagnostic(zebra: str) -> None:
    """A bad CQL query raises SruDiagnostic naming the diagnostic URI, message and query."""
    with pytest.raises(SruDiagnostic) as caught:
        list(_client(zebra).harvest("dc.title="))
    error = caught.value
    assert error.uri == "info:srw/diagnostic/1/10"
    assert "Query syntax error" in str(error)
    assert "dc.title=" in str(error) and zebra in str(error)


def test_unknown_schema_is_a_diagnostic(zebra: str) -> None:
    """Asking for a record schema the server lacks names diagnostic 66 (or the server's own)."""
    with pytest.raises(SruDiagnostic) as caught:
        list(_client(zebra, record_schema="nosuchschema").harvest("cql.allRecords=1"))
    assert caught.value.uri.startswith("info:srw/diagnostic/1/")


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_every_sru_version_harvests_the_same(
    zebra: str, version: str, expected: dict[str, BibRecord]
) -> None:
    """SRU 1.1, 1.2 and 2.0 (other response namespace) bring the same records."""
    results, _ = _harvest(_client(zebra, version=version, page_size=100))
    assert {b.record_id for r in results if (b := _bib(r))} == set(expected)


def test_incremental_query_through_the_date_index(
    zebra: str, expected: dict[str, BibRecord]
) -> None:
    """A 005-based date range returns exactly the records modified on or after the day."""
    results, _ = _harvest(_client(zebra), "rec.lastModificationDate>=20261001")
    got = {b.record_id for r in results if (b := _bib(r))}
    want = {rid for rid, b in expected.items() if (b.modified or "")[:8] >= "20261001"}
    assert got == want and 0 < len(got) < len(expected)


def test_explain_reports_the_page_cap(zebra: str) -> None:
    """explain reads the database title, the maximumRecords cap and the schemas."""
    info = _client(zebra).explain()
    assert info.title == "bokflyt test-Zebra"
    assert info.max_records == 1000 and info.default_records == 10
    assert "marcxml" in info.schemas


def test_one_connection_is_reused(zebra: str, tmp_path: Path) -> None:
    """All pages of a harvest go over one kept-alive connection (Zebra forks per connection)."""
    session = make_session(retries=0)
    client = SruClient(SruConfig(url=zebra, page_size=20, requests_per_second=1000), session)
    list(client.harvest("cql.allRecords=1"))
    adapter = session.get_adapter(zebra)
    assert isinstance(adapter, HTTPAdapter)
    manager = adapter.poolmanager
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118 - no __iter__
    assert len(pools) == 1
    assert pools[0].num_connections == 1
    assert pools[0].num_requests == math.ceil((RECORDS + 2) / 20)


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FOREIGN = (
    "debsrc-idzebra/examples/marcxml/collection-opera-43.xml",
    "debsrc-idzebra/examples/marcxml/collection-sandburg-1.xml",
)


def test_records_nobody_here_wrote(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Library of Congress records from the reference corpus arrive over SRU as in the file."""
    files = [CORPUS / name for name in FOREIGN]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"reference corpus not present: {', '.join(missing)}")
    server = ZebraServer(tmp_path_factory.mktemp("zebra-corpus"))
    expected: dict[str, BibRecord] = {}
    for file in files:
        data = file.read_bytes()
        server.index(file.name, data)
        for result in read_marcxml(io.BytesIO(data)):
            bib = _bib(result)
            if bib is not None:
                expected[bib.record_id] = bib
    url = server.start()
    try:
        results, _ = _harvest(_client(url, page_size=10))
    finally:
        server.stop()
    harvested = {b.record_id: b for r in results if (b := _bib(r)) is not None}
    assert len(expected) == 43  # 44 records; two opera records share 001 251663 (last wins)
    assert harvested == expected
