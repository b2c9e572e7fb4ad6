"""BibRecord survives its JSON form and pickling unchanged, items and dates included."""

from __future__ import annotations

import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

from catalog.records import (
    BibRecord,
    Item,
    ItemStatus,
    record_from_dict,
    record_json,
    record_to_dict,
)

text = st.text(max_size=30)
items = st.builds(
    Item,
    barcode=text,
    location_code=text,
    site=st.none() | text,
    call_number=st.none() | text,
    status=st.sampled_from(ItemStatus),
    due_date=st.none() | st.dates(),
)
records = st.builds(
    BibRecord,
    source=text,
    record_id=text,
    title=text,
    subtitle=st.none() | text,
    other_authors=st.lists(text, max_size=3).map(tuple),
    isbns=st.lists(text, max_size=3).map(tuple),
    year=st.none() | st.integers(0, 9999),
    items=st.lists(items, max_size=4).map(tuple),
)


@given(records)
def test_round_trip_through_json(record: BibRecord) -> None:
    """record_from_dict(json(record_to_dict(r))) == r for any record."""
    data = json.loads(json.dumps(record_to_dict(record)))
    assert record_from_dict(data) == record


def test_unknown_keys_are_ignored() -> None:
    """Rows written by a newer bokflyt with extra keys still load."""
    data = record_to_dict(BibRecord(source="s", record_id="1", title="T"))
    data["future_field"] = 1
    assert record_from_dict(data).title == "T"


@given(records)
def test_round_trip_through_pickle(record: BibRecord) -> None:
    """A record pickled for a parse worker's queue comes back equal, field for field."""
    again = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == record
    assert [type(i) for i in again.items] == [Item] * len(record.items)


@given(records)
def test_record_json_is_the_json_of_record_to_dict(record: BibRecord) -> None:
    """The stored `data` text is byte for byte what json.dumps(record_to_dict(r)) writes."""
    assert record_json(record) == json.dumps(record_to_dict(record))


def test_a_row_from_before_a_field_existed_gets_the_default() -> None:
    """An old row lacking newer keys (and with its copies) still loads, defaults filled in."""
    data = record_to_dict(
        BibRecord(source="s", record_id="1", title="T", items=(Item("b", "SAN"),))
    )
    del data["subjects"], data["modified"]
    record = record_from_dict(data)
    assert record.subjects == () and record.modified is None
    assert record.items == (Item("b", "SAN"),)
