"""MARC readers: MARCXML/MarcXchange and ISO 2709 (UTF-8, MARC-8), bad records quarantined."""

from __future__ import annotations

import io
from pathlib import Path

import pymarc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.errors import MarcError
from adapters.marc import MarcRecord, Quarantined, read_iso2709, read_marc, read_marcxml, sniff

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"


def _xml(records: str, ns: str = "http://www.loc.gov/MARC21/slim") -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{head}<collection xmlns="{ns}">{records}</collection>'.encode()


def _rec(rid: str, title: str = "Tittel", leader: str = "00000cam a2200000 i 4500") -> str:
    return (
        f'<record><leader>{leader}</leader><controlfield tag="001">{rid}</controlfield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">{title}</subfield></datafield>'
        "</record>"
    )


def _iso(title: str, *, utf8: bool = True, control: str = "1") -> bytes:
    record = pymarc.Record(force_utf8=utf8)
    record.leader = pymarc.Leader(
        "00000nam a2200000 i 4500" if utf8 else "00000nam  2200000 i 4500"
    )
    record.add_field(pymarc.Field(tag="001", data=control))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "0"),
            subfields=[pymarc.Subfield("a", title)],
        )
    )
    return record.as_marc()


@pytest.mark.parametrize(
    "ns", ["http://www.loc.gov/MARC21/slim", "info:lc/xmlns/marcxchange-v1", ""]
)
def test_marcxml_any_record_namespace(ns: str) -> None:
    """MARC 21 slim, MarcXchange and namespace-less records are all read, in order."""
    data = (
        _xml(_rec("a1", "Første") + _rec("a2", "Søsken på øya"), ns)
        if ns
        else (
            b"<collection>"
            + (_rec("a1", "Første") + _rec("a2", "Søsken på øya")).encode()
            + b"</collection>"
        )
    )
    results = list(read_marcxml(io.BytesIO(data)))
    assert [r.control_number for r in results if isinstance(r, MarcRecord)] == ["a1", "a2"]
    assert results[1].record["245"]["a"] == "Søsken på øya"  # type: ignore[union-attr]


def test_bad_xml_record_is_quarantined_and_reading_goes_on() -> None:
    """A record with a short leader is quarantined with its bytes; the next one is still read."""
    data = _xml(_rec("bad", leader="00000cam") + _rec("good"))
    results = list(read_marcxml(io.BytesIO(data)))
    bad, good = results
    assert isinstance(bad, Quarantined) and bad.ref == "bad" and "leader" in bad.reason
    assert b"bad" in bad.raw
    assert isinstance(good, MarcRecord) and good.control_number == "good"


def test_truncated_xml_ends_with_a_quarantine_value() -> None:
    """XML cut off mid-record yields the records before it and one value saying where it broke."""
    data = _xml(_rec("r1") + _rec("r2"))[:-60]
    results = list(read_marcxml(io.BytesIO(data)))
    assert isinstance(results[0], MarcRecord)
    assert isinstance(results[-1], Quarantined) and "XML" in results[-1].reason


def test_iso2709_utf8_and_a_broken_record_between_good_ones() -> None:
    """ISO 2709: a record whose leader length lies is quarantined, its neighbours are read."""
    good1, good2 = _iso("Blåbærsyltetøy", control="g1"), _iso("Ærlig talt", control="g2")
    broken = b"00999" + _iso("x", control="b1")[5:]
    results = list(read_iso2709(io.BytesIO(good1 + broken + good2), chunk_size=7))
    assert [type(r).__name__ for r in results] == ["MarcRecord", "Quarantined", "MarcRecord"]
    assert results[0].record["245"]["a"] == "Blåbærsyltetøy"  # type: ignore[union-attr]
    assert isinstance(results[1], Quarantined) and results[1].ref == "b1"


def _build(coding: bytes, fields: list[tuple[str, bytes]]) -> bytes:
    """ISO 2709 bytes by hand, so the test controls every byte of the field data."""
    data, directory = b"", b""
    for tag, body in fields:
        body += b"\x1e"
        directory += tag.encode() + b"%04d%05d" % (len(body), len(data))
        data += body
    directory += b"\x1e"
    base = 24 + len(directory)
    leader = b"%05dnam " % (base + len(data) + 1) + coding + b"22%05d i 4500" % base
    return leader + directory + data + b"\x1d"


def test_marc8_is_decoded_by_leader_09() -> None:
    """Leader/09 blank means MARC-8: ANSEL ø (0xB2), æ (0xB5) and combining ring + a → å."""
    raw = _build(b" ", [("001", b"m8"), ("245", b"10\x1faBj\xb2rnstjerne s\xb5r \xeaa")])
    (result,) = read_iso2709(io.BytesIO(raw))
    assert isinstance(result, MarcRecord), result
    assert result.record["245"]["a"] == "Bjørnstjerne sær å"


def test_same_bytes_with_leader_09_a_are_not_marc8() -> None:
    """The same MARC-8 bytes flagged as UTF-8 (leader/09 = a) are quarantined, not misread."""
    raw = _build(b"a", [("001", b"m8"), ("245", b"10\x1faBj\xb2rn")])
    (result,) = read_iso2709(io.BytesIO(raw))
    assert isinstance(result, Quarantined) and "UTF-8" in result.reason and result.raw == raw


def test_file_without_terminator_at_end() -> None:
    """Bytes after the last record terminator are a truncated record, quarantined."""
    results = list(read_iso2709(io.BytesIO(_iso("Hel") + b"00123nam a22")))
    assert isinstance(results[-1], Quarantined) and "avkortet" in results[-1].reason


def test_sniff_and_read_marc_choose_by_content() -> None:
    """Format comes from the content: XML, ISO 2709, or a clear error for anything else."""
    assert sniff(b"\xef\xbb\xbf  <?xml") == "marcxml"
    assert sniff(_iso("x")) == "iso2709"
    assert sniff(b"hello world, this is not MARC at all") is None
    assert [type(r).__name__ for r in read_marc(io.BytesIO(_iso("x")))] == ["MarcRecord"]
    with pytest.raises(MarcError):
        read_marc(io.BytesIO(b'{"leader": "json is not supported"}'))


text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x1d\x1e\x1f"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s)


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(text, min_size=1, max_size=5))
def test_iso2709_round_trip(titles: list[str]) -> None:
    """Any UTF-8 titles written as ISO 2709 are read back unchanged, one record each."""
    data = b"".join(_iso(t, control=f"c{i}") for i, t in enumerate(titles))
    results = list(read_iso2709(io.BytesIO(data), chunk_size=13))
    assert [r.record["245"]["a"] for r in results if isinstance(r, MarcRecord)] == titles


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(text, min_size=1, max_size=5))
def test_marcxml_round_trip(titles: list[str]) -> None:
    """Any titles written as MARCXML by pymarc are read back unchanged."""
    records = []
    for i, title in enumerate(titles):
        record = pymarc.Record(data=_iso(title, control=f"c{i}"))
        records.append(pymarc.record_to_xml(record, namespace=True).decode())
    data = ("<collection>" + "".join(records) + "</collection>").encode()
    results = list(read_marcxml(io.BytesIO(data)))
    assert [r.record["245"]["a"] for r in results if isinstance(r, MarcRecord)] == titles


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=600))
def test_iso2709_reader_never_raises_on_garbage(data: bytes) -> None:
    """Arbitrary bytes give records or quarantine values, never an exception."""
    for result in read_iso2709(io.BytesIO(data)):
        assert isinstance(result, MarcRecord | Quarantined)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_marcxml_reader_never_raises_on_garbage(data: bytes) -> None:
    """Arbitrary bytes fed to the XML reader end in quarantine values, never an exception."""
    for result in read_marcxml(io.BytesIO(b"<collection>" + data)):
        assert isinstance(result, MarcRecord | Quarantined)


def _corpus(path: str) -> Path:
    file = CORPUS / path
    if not file.exists():
        pytest.skip(f"reference corpus not present: {file}")
    return file


def test_corpus_marc8_records_decode() -> None:
    """The Zebra sample (MARC-8, leader/09 blank) reads 24 records and quarantines the bad one."""
    with _corpus("deb-idzebra-2.0-examples/sample-marc").open("rb") as handle:
        results = list(read_iso2709(handle))
    good = [r for r in results if isinstance(r, MarcRecord)]
    assert len(good) >= 24
    assert all(r.record["245"] is not None for r in good)


def test_corpus_pymarc_bad_records_are_quarantined() -> None:
    """pymarc's deliberately broken file: good records read, every broken one quarantined."""
    with _corpus("pypi-pymarc-5.4.0/test/bad_records.mrc").open("rb") as handle:
        results = list(read_iso2709(handle))
    assert sum(isinstance(r, MarcRecord) for r in results) >= 2
    assert any(isinstance(r, Quarantined) for r in results)


def test_corpus_marcxchange_with_koha_items() -> None:
    """Deichman's MarcXchange record (BIBSYS namespace) is read with its 952 item."""
    path = "github-digibib-ls.ext/test/features/upload-files/Fargelegg byen!.marc21"
    with _corpus(path).open("rb") as handle:
        results = list(read_marc(handle))
    assert len(results) == 1 and isinstance(results[0], MarcRecord)
    assert results[0].record.get_fields("952")


def test_fast_data_fields_equal_pymarc_fields() -> None:
    """Fields built on the fast path behave exactly like pymarc-constructed ones."""
    data = _xml(
        "<record><leader>00000cam a2200000 i 4500</leader>"
        '<datafield tag="245" ind1="1" ind2="4"><subfield code="a">Den</subfield>'
        '<subfield code="b">røde</subfield></datafield></record>'
    )
    (result,) = read_marcxml(io.BytesIO(data))
    assert isinstance(result, MarcRecord)
    fast = result.record["245"]
    slow = pymarc.Field(
        tag="245",
        indicators=pymarc.Indicators("1", "4"),
        subfields=[pymarc.Subfield("a", "Den"), pymarc.Subfield("b", "røde")],
    )
    assert (fast.tag, fast.indicators, fast.subfields, fast.data, fast.control_field) == (
        slow.tag,
        slow.indicators,
        slow.subfields,
        slow.data,
        slow.control_field,
    )
    assert fast.get("b") == "røde" and fast.indicator2 == "4" and str(fast) == str(slow)
    assert fast.value() == slow.value() and not fast.is_control_field()
