"""Legs through the hub, crate packing, shipments per leg and carry-over."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from transport.crates import (
    PendingItem,
    arrived_at_hub,
    carry_over,
    legs_for_day,
    pack,
    shipments,
)

HUB = "HUB"


def test_direct_via_hub_or_wait() -> None:
    """Served both ends: direct; only origin: to the hub; origin not served: waits."""
    items = [
        PendingItem("1", "A", "B"),
        PendingItem("2", "A", "C"),
        PendingItem("3", "C", "A"),
        PendingItem("4", "A", "A"),
    ]
    legs, waiting = legs_for_day(items, served={"A", "B", HUB}, hub=HUB)
    assert {(leg.item.barcode, leg.to) for leg in legs} == {("1", "B"), ("2", HUB)}
    assert [i.barcode for i in waiting] == ["3"]
    nxt = arrived_at_hub(legs, HUB)
    assert [(i.barcode, i.origin, i.destination) for i in nxt] == [("2", HUB, "C")]


def test_urgent_items_fill_first_crates() -> None:
    """The most urgent books go in the first crate; the last crate holds the least urgent."""
    items = [PendingItem(str(k), "A", "B", priority=k % 3, age=k) for k in range(7)]
    legs, _ = legs_for_day(items, {"A", "B"}, HUB)
    crates = pack(legs, books_per_crate=3)
    assert [len(c.barcodes) for c in crates] == [3, 3, 1]
    urgency = [[(items[int(b)].priority, items[int(b)].age) for b in c.barcodes] for c in crates]
    for earlier, later in zip(urgency, urgency[1:], strict=False):
        assert min(earlier) > max(later)


@given(
    st.lists(
        st.tuples(st.sampled_from("ABCD"), st.sampled_from("ABCD"), st.integers(0, 3)),
        max_size=60,
    ),
    st.integers(1, 7),
)
def test_every_item_in_exactly_one_crate(rows: list[tuple[str, str, int]], per_crate: int) -> None:
    """Packing loses and duplicates nothing, and no crate is over capacity."""
    items = [PendingItem(str(k), o, d, priority=p) for k, (o, d, p) in enumerate(rows)]
    legs, _ = legs_for_day(items, set("ABCD"), HUB)
    crates = pack(legs, per_crate)
    packed = [b for c in crates for b in c.barcodes]
    assert sorted(packed) == sorted(leg.item.barcode for leg in legs)
    assert all(1 <= len(c.barcodes) <= per_crate for c in crates)
    ships = shipments(crates)
    assert sum(s.size for s in ships) == len(crates)
    assert len({(s.pickup, s.delivery) for s in ships}) == len(ships)


def test_carry_over_ages() -> None:
    """Items left behind come back a day older, so their drop penalty rises."""
    (it,) = carry_over([PendingItem("1", "A", "B", age=2)])
    assert it.age == 3
