"""pymarc.Record → BibRecord: each bibliographic field comes from where MARC 21 puts it."""

from __future__ import annotations

import pymarc
import pytest

from adapters.bib import NotBibliographic, to_bib


def _df(tag: str, *subs: str, ind: str = "  ") -> pymarc.Field:
    pairs = [pymarc.Subfield(s[0], s[1:]) for s in subs]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind[0], ind[1]), subfields=pairs)


def _record(*fields: pymarc.Field, leader: str = "00000cam a2200000 i 4500") -> pymarc.Record:
    record = pymarc.Record(leader=leader)
    for field in fields:
        record.add_field(field)
    return record


FULL = _record(
    pymarc.Field(tag="001", data="12345"),
    pymarc.Field(tag="005", data="20261120101500.0"),
    pymarc.Field(tag="007", data="ta"),
    pymarc.Field(tag="008", data="201120s2019    no a          000 1 nob d"),
    _df("020", "a978-82-02-12345-6 (ib.)", "qinnbundet"),
    _df("020", "a8202123456"),
    _df("022", "a0805-7893"),
    _df("024", "a7041234567890", "2ean", ind="3 "),
    _df("100", "aØverland, Arnulf,", "d1889-1968.", ind="1 "),
    _df(
        "245",
        "aDen røde front :",
        "bdikt /",
        "cArnulf Øverland ; med etterord.",
        "nDel 2,",
        "pHøsten.",
        ind="14",
    ),
    _df("250", "a2. utg."),
    _df("264", "aOslo :", "bGyldendal,", "c2019.", ind=" 1"),
    _df("300", "a123 sider :", "bill."),
    _df("336", "atekst", "btxt"),
    _df("337", "buformidlet"),
    _df("338", "abind"),
    _df("490", "aLyrikkserien ;", "v4"),
    _df("830", "aGyldendals lyrikk"),
    _df("650", "aKrig", "zNorge", "y1940-1945", ind=" 0"),
    _df("700", "aSæther, Åse,", "eredaktør", ind="1 "),
    _df("710", "aDet Norske Samlaget", ind="2 "),
)


def test_every_field_of_a_full_record() -> None:
    """Title parts, names, identifiers, imprint, types, series, subjects and 005 all map."""
    bib = to_bib(FULL, "folk")
    assert bib.key == ("folk", "12345")
    assert (bib.title, bib.subtitle, bib.part_number, bib.part_name) == (
        "Den røde front",
        "dikt",
        "Del 2",
        "Høsten",
    )
    assert bib.responsibility == "Arnulf Øverland ; med etterord"
    assert bib.main_author == "Øverland, Arnulf, 1889-1968"
    assert bib.other_authors == ("Sæther, Åse", "Det Norske Samlaget")
    assert bib.isbns == ("978-82-02-12345-6", "8202123456")
    assert bib.issns == ("0805-7893",)
    assert bib.other_identifiers == ("ean:7041234567890",)
    assert bib.edition == "2. utg."
    assert (bib.publisher, bib.place, bib.year) == ("Gyldendal", "Oslo", 2019)
    assert bib.extent == "123 sider"
    assert bib.language == "nob"
    assert (bib.record_type, bib.bib_level) == ("a", "m")
    assert bib.physical == ("ta",)
    assert bib.content_types == ("tekst",)
    assert bib.media_types == ("uformidlet",)
    assert bib.carrier_types == ("bind",)
    assert bib.series == ("Lyrikkserien", "Gyldendals lyrikk")
    assert bib.subjects == ("Krig Norge 1940-1945",)
    assert bib.modified == "20261120101500.0"
    assert bib.fixed_008 is not None and bib.fixed_008.startswith("201120")


def test_260_and_041_when_264_and_008_language_are_missing() -> None:
    """Older records: imprint from 260, year from 260 $c, language from 041."""
    record = _record(
        pymarc.Field(tag="001", data="old"),
        pymarc.Field(tag="008", data="850101nuuuu    no            000 1 |||  "),
        _df("041", "aswe"),
        _df("245", "aGammel bok"),
        _df("260", "aBergen :", "bEide,", "cc1985"),
    )
    bib = to_bib(record, "s")
    assert (bib.publisher, bib.place, bib.year, bib.language) == ("Eide", "Bergen", 1985, "swe")


def test_leader_type_and_level_for_a_video() -> None:
    """Leader/06-07 give record type and bibliographic level (a film: g, m)."""
    record = _record(
        pymarc.Field(tag="001", data="v"), _df("245", "aFilm"), leader="00000cgm a2200000 i 4500"
    )
    bib = to_bib(record, "s")
    assert (bib.record_type, bib.bib_level) == ("g", "m")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ((_df("245", "aUten nummer"),), "001"),
        ((pymarc.Field(tag="001", data="x"),), "245"),
        ((pymarc.Field(tag="001", data="  "), _df("245", "aTomt nummer")), "001"),
    ],
)
def test_records_without_001_or_245_are_not_bibliographic(
    fields: tuple[pymarc.Field, ...], reason: str
) -> None:
    """A record without control number or title is refused with a reason naming the field."""
    with pytest.raises(NotBibliographic, match=reason):
        to_bib(_record(*fields), "s")


def test_marcxml_fields_and_pymarc_record_map_alike() -> None:
    """The MARCXML fast path (plain `MarcData`) gives the same BibRecord as the pymarc record."""
    import io

    from adapters.marc import MarcRecord, read_marcxml

    xml = pymarc.record_to_xml(FULL, namespace=True)
    (result,) = read_marcxml(io.BytesIO(xml))
    assert isinstance(result, MarcRecord)
    assert to_bib(result.data, "folk") == to_bib(FULL, "folk")
