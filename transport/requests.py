"""Requesting a copy of a title at a site: the copy-choice rule, and the transfer it creates.

CLUSTER is a manifestation cluster id (`source_records.cluster_id`, set by the merge); a record
the merge has not clustered (cluster_id NULL) is its own cluster, addressed as
`SOURCE:RECORDID`.  With `any_edition` every copy of the same work (`work_id`) counts.

The rule, in order:

1. Candidates are copies on the shelf (`status == "on_shelf"`) at a configured site, neither
   the item of another open transfer nor listed by an open "any copy" transfer still waiting
   for its pickup — so twenty requests for a class set list twenty different copies, and the
   planner can pack transfers that share candidate sites into one crate.
2. If a copy is on the shelf at the destination already (one listed by an any-copy transfer
   counts: it is there for the taking), nothing is created
   (`AlreadyThere`): the reader can have that one.
3. One copy per site is kept (the lowest barcode, so the choice is repeatable).
4. Copies at one site only: an item transfer of that copy from that site.  Copies at several
   sites: an "any copy" transfer listing them, and the day's route plan picks the one the van
   passes anyway (`transport.planner`).

Like every transfer it knows an item or a cluster and a destination, never a borrower: there is
no parameter for one.  Nothing here commits; the caller's unit of work does.

Error tree::

    RequestError(Exception)
      UnknownCluster   -- no record has that cluster id or SOURCE:RECORDID
      UnknownSite      -- the destination is no configured site
      AlreadyThere     -- a copy is on the shelf at the destination; `barcode` names it
      NoCopyAvailable  -- no copy is on the shelf anywhere else
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.models import ItemRow, Site, Source, SourceRecord
from transport.models import Transfer
from transport.transfers import REASONS

log = logging.getLogger(__name__)

ON_SHELF = "on_shelf"


class RequestError(Exception):
    """A copy request that cannot become a transfer; `cluster` and `to_site` say which."""

    def __init__(self, cluster: str, to_site: str, message: str) -> None:
        super().__init__(message)
        self.cluster, self.to_site = cluster, to_site


class UnknownCluster(RequestError):
    """No record belongs to the cluster."""


class UnknownSite(RequestError):
    """The destination is not a configured site."""


class AlreadyThere(RequestError):
    """A copy is on the shelf at the destination already; nothing to move."""

    def __init__(self, cluster: str, to_site: str, barcode: str) -> None:
        super().__init__(
            cluster,
            to_site,
            f"Et eksemplar står allerede på hylla på {to_site} (strekkode {barcode}); "
            "ingen overføring er opprettet.",
        )
        self.barcode = barcode


class NoCopyAvailable(RequestError):
    """No copy is on the shelf at another site."""


@dataclass(frozen=True)
class Copy:
    """A copy on the shelf: where and which."""

    site: str
    barcode: str


def record_ids(session: Session, cluster: str, any_edition: bool) -> list[int]:
    """Primary keys of the records the request covers: the cluster, or its works."""
    ids = list(session.scalars(select(SourceRecord.id).where(SourceRecord.cluster_id == cluster)))
    if not ids and ":" in cluster:
        source, record = cluster.split(":", 1)
        ids = list(
            session.scalars(
                select(SourceRecord.id)
                .join(Source, Source.id == SourceRecord.source_id)
                .where(Source.name == source, SourceRecord.record_id == record)
            )
        )
    if not ids or not any_edition:
        return ids
    works = set(
        session.scalars(
            select(SourceRecord.work_id).where(
                SourceRecord.id.in_(ids), SourceRecord.work_id.is_not(None)
            )
        )
    )
    if not works:
        return ids
    more = session.scalars(select(SourceRecord.id).where(SourceRecord.work_id.in_(sorted(works))))
    return sorted({*ids, *more})


def copies_query(records: Sequence[int]) -> Select[str, str]:
    """On-shelf copies of `records` at configured sites that no open transfer claims."""
    claimed = select(Transfer.barcode).where(
        Transfer.status == "open", Transfer.barcode.is_not(None)
    )
    return (
        select(Site.code, ItemRow.barcode)
        .join(Site, Site.id == ItemRow.site_id)
        .where(ItemRow.record_pk.in_(list(records)), ItemRow.status == ON_SHELF)
        .where(ItemRow.barcode.not_in(claimed))
        .order_by(Site.code, ItemRow.barcode)
    )


def listed_copies(session: Session) -> set[str]:
    """Barcodes listed as candidates by open any-copy transfers whose copy has not left yet."""
    lists = session.scalars(
        select(Transfer.candidates).where(
            Transfer.status == "open", Transfer.any_copy.is_(True), Transfer.at_site.is_(None)
        )
    )
    return {barcode for pairs in lists for _, barcode in pairs or []}


def choose(copies: Sequence[Copy], to_site: str) -> tuple[Copy | None, list[Copy]]:
    """Apply the rule: (a copy already at the destination, one candidate per other site)."""
    here = next((c for c in copies if c.site == to_site), None)
    per_site: dict[str, Copy] = {}
    for c in sorted(copies, key=lambda c: (c.site, c.barcode)):
        if c.site != to_site:
            per_site.setdefault(c.site, c)
    return here, list(per_site.values())


def request_copy(
    session: Session,
    cluster: str,
    to_site: str,
    *,
    any_edition: bool = False,
    priority: int = 0,
    reason: str = "reservation",
    not_before: date | None = None,
) -> Transfer:
    """Create (flush, not commit) the transfer that brings a copy of `cluster` to `to_site`."""
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")
    if priority < 0:
        raise ValueError("priority must be >= 0")
    if len(cluster) > 64:
        raise UnknownCluster(cluster, to_site, f"Ukjent klynge {cluster[:64]!r}… (for lang).")
    if session.scalar(select(Site.id).where(Site.code == to_site)) is None:
        raise UnknownSite(cluster, to_site, f"Ukjent avdeling {to_site!r}.")
    records = record_ids(session, cluster, any_edition)
    if not records:
        raise UnknownCluster(cluster, to_site, f"Fant ingen post med klynge {cluster!r}.")
    copies = [Copy(site, barcode) for site, barcode in session.execute(copies_query(records))]
    here, _ = choose(copies, to_site)
    listed = listed_copies(session)
    _, candidates = choose([c for c in copies if c.barcode not in listed], to_site)
    if here is not None:
        raise AlreadyThere(cluster, to_site, here.barcode)
    if not candidates:
        raise NoCopyAvailable(
            cluster,
            to_site,
            f"Ingen eksemplar av {cluster} står på hylla ved en annen avdeling; "
            "ingen overføring er opprettet.",
        )
    transfer = Transfer(
        cluster_key=cluster,
        to_site=to_site,
        reason=reason,
        priority=priority,
        not_before=not_before,
        age_days=0,
        status="open",
    )
    if len(candidates) == 1:
        transfer.any_copy = False
        transfer.barcode = candidates[0].barcode
        transfer.from_site = candidates[0].site
    else:
        transfer.any_copy = True
        transfer.candidates = [[c.site, c.barcode] for c in candidates]
    session.add(transfer)
    session.flush()
    log.info(
        "transfer %d requested: cluster %s to %s from %d site(s)",
        transfer.id,
        cluster,
        to_site,
        len(candidates),
    )
    return transfer
