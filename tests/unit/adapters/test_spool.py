"""The harvest spool: what is written is replayed in order; a torn last frame is ignored."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.marc import MarcRecord, Quarantined, read_marcxml
from adapters.spool import SpoolWriter, replay

XML = (
    b'<collection xmlns="http://www.loc.gov/MARC21/slim">'
    b'<record><leader>00000cam a2200000 i 4500</leader><controlfield tag="001">s1</controlfield>'
    b'<datafield tag="245" ind1="0" ind2="0">'
    b'<subfield code="a">S\xc3\xb8ndag</subfield></datafield>'
    b"</record></collection>"
)


def test_spool_round_trip(tmp_path: Path) -> None:
    """Records and quarantined values come back as written, across two pages."""
    (record,) = read_marcxml(io.BytesIO(XML))
    bad = Quarantined("leader har 8 tegn, ikke 24", b"<record/>", "b1", 2)
    writer = SpoolWriter(tmp_path / "s.bin")
    writer.write_page([record])
    writer.write_page([bad])
    writer.close()
    first, second = replay(tmp_path / "s.bin")
    assert isinstance(first, MarcRecord) and first.control_number == "s1"
    assert first.record["245"]["a"] == "Søndag" and first.raw == record.raw
    assert second == bad


def test_torn_frame_is_ignored(tmp_path: Path) -> None:
    """A spool cut off mid-frame (a crash while writing) yields only the complete frames."""
    (record,) = read_marcxml(io.BytesIO(XML))
    writer = SpoolWriter(tmp_path / "s.bin")
    writer.write_page([record, record])
    writer.close()
    data = (tmp_path / "s.bin").read_bytes()
    (tmp_path / "s.bin").write_bytes(data[:-10])
    assert len(list(replay(tmp_path / "s.bin"))) == 1


def test_discard_removes_the_file(tmp_path: Path) -> None:
    """A spool of a run that succeeded is deleted."""
    writer = SpoolWriter(tmp_path / "d.bin")
    writer.discard()
    assert not (tmp_path / "d.bin").exists()
