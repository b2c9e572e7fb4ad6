"""The merged record: what a librarian sees for one manifestation cluster.

The display rule, in order:

1. Rank the members: the most *complete* record first (how many of the descriptive fields
   below it fills), then by source preference (the caller passes the order; the public library
   first is the usual configuration, because its cataloguers catalogue to the national standard),
   then by record key so the choice never depends on load order.
2. Every display field comes from the best-ranked member that has it, so a missing extent in the
   best record is filled from the next one, never invented.
3. ISBNs are the union over all members, normalised to ISBN-13, sorted.
4. Every copy of every member is kept, with its source and site; the members are listed in
   rank order with their sources, so the display can say where each description came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalog.normalize import normalize_isbn
from catalog.records import BibRecord, Item

# The fields that make a description more complete; each filled one counts one point.
COMPLETENESS_FIELDS = (
    "subtitle",
    "responsibility",
    "main_author",
    "isbns",
    "edition",
    "publisher",
    "place",
    "year",
    "extent",
    "language",
    "content_types",
    "series",
    "subjects",
)

DISPLAY_FIELDS = (
    "title",
    "subtitle",
    "part_number",
    "part_name",
    "responsibility",
    "main_author",
    "edition",
    "publisher",
    "place",
    "year",
    "extent",
    "language",
)


@dataclass(frozen=True, slots=True)
class SourcedItem:
    """A copy in the merged record, with the source whose record it hangs on."""

    source: str
    record_id: str
    item: Item


@dataclass(frozen=True, slots=True)
class MergedRecord:
    """One manifestation cluster shown once: display fields, every copy, every member."""

    cluster_id: str
    work_id: str
    title: str
    subtitle: str | None
    part_number: str | None
    part_name: str | None
    responsibility: str | None
    main_author: str | None
    edition: str | None
    publisher: str | None
    place: str | None
    year: int | None
    extent: str | None
    language: str | None
    isbns: tuple[str, ...]
    display_source: tuple[str, str]
    members: tuple[tuple[str, str], ...]
    items: tuple[SourcedItem, ...]

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a merged record needs at least one member")

    @property
    def available_copies(self) -> int:
        return sum(1 for s in self.items if s.item.status.available)


def completeness(record: BibRecord) -> int:
    """How many of `COMPLETENESS_FIELDS` the record fills."""
    return sum(1 for name in COMPLETENESS_FIELDS if getattr(record, name))


def rank_members(
    members: Sequence[BibRecord], preferred_sources: Sequence[str] = ()
) -> list[BibRecord]:
    """Members best first: completeness, then source preference, then record key."""
    order = {s: i for i, s in enumerate(preferred_sources)}
    return sorted(
        members,
        key=lambda r: (-completeness(r), order.get(r.source, len(order)), r.key),
    )


def merge_cluster(
    cluster_id: str,
    work_id: str,
    members: Sequence[BibRecord],
    preferred_sources: Sequence[str] = (),
) -> MergedRecord:
    """Build the merged display record of one cluster by the rule in the module docstring."""
    if not members:
        raise ValueError(f"cluster {cluster_id} has no members")
    ranked = rank_members(members, preferred_sources)
    best = ranked[0]
    fields: dict[str, object] = {}
    for name in DISPLAY_FIELDS:
        fields[name] = next(
            (getattr(r, name) for r in ranked if getattr(r, name) not in (None, "")), None
        )
    isbns = sorted({n for r in members for raw in r.isbns if (n := normalize_isbn(raw))})
    items = tuple(
        SourcedItem(r.source, r.record_id, item)
        for r in sorted(members, key=lambda r: r.key)
        for item in sorted(r.items, key=lambda i: i.barcode)
    )
    return MergedRecord(
        cluster_id=cluster_id,
        work_id=work_id,
        isbns=tuple(isbns),
        display_source=best.key,
        members=tuple(r.key for r in ranked),
        items=items,
        **fields,  # type: ignore[arg-type]
    )
