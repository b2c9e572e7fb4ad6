"""Tests for catalog.merged: the display rule, every copy, every member."""

from __future__ import annotations

import pytest

from catalog.merged import merge_cluster, rank_members
from catalog.records import BibRecord, Item, ItemStatus

PUBLIC = BibRecord(
    source="public", record_id="p1", title="Sult", main_author="Hamsun, Knut",
    isbns=("9788205390003",), publisher="Gyldendal", year=2010,
    items=(Item("b2", "HOV", site="Hovedbiblioteket", status=ItemStatus.ON_SHELF),),
)  # fmt: skip
SCHOOL = BibRecord(
    source="school", record_id="s1", title="SULT", main_author="Knut Hamsun", year=2010,
    extent="220 s.", items=(Item("x1", "SKO", status=ItemStatus.ON_LOAN),),
)  # fmt: skip


def test_most_complete_record_leads() -> None:
    """The record filling more descriptive fields is the display record."""
    assert rank_members([SCHOOL, PUBLIC])[0] is PUBLIC


def test_source_preference_breaks_ties() -> None:
    """With equal completeness, the preferred source's record leads."""
    equal = BibRecord(source="school", record_id="s2", title="Sult", main_author="Hamsun, Knut",
                      isbns=("9788205390003",), publisher="Gyldendal", year=2010)  # fmt: skip
    assert rank_members([equal, PUBLIC], ["public", "school"])[0] is PUBLIC
    assert rank_members([equal, PUBLIC], ["school", "public"])[0] is equal


def test_merged_record_fills_gaps_and_keeps_every_copy() -> None:
    """Missing fields come from the next member; every item is kept with its source."""
    m = merge_cluster("m-1", "w-1", [SCHOOL, PUBLIC], ["public"])
    assert m.title == "Sult" and m.extent == "220 s."
    assert m.display_source == PUBLIC.key
    assert m.members == (PUBLIC.key, SCHOOL.key)
    assert {(s.source, s.item.barcode) for s in m.items} == {("public", "b2"), ("school", "x1")}
    assert m.available_copies == 1
    assert m.isbns == ("9788205390003",)


def test_empty_cluster_refused() -> None:
    """A merged record without members is an error, not an empty display."""
    with pytest.raises(ValueError):
        merge_cluster("m-1", "w-1", [])
