"""Storage of the merge: librarians' overrides and the state the incremental merge starts from.

`merge_overrides` is the only hand-entered merge data; every later merge replays it in id
order (`catalog.cluster.Overrides.from_events`). Records are named by (source name, 001), not
by row id, so a decision survives the record being withdrawn and harvested again.

`merge_state` is derived data: per live record, the placement the last merge gave it (cluster,
work, component) and the `updated_at` of the record it saw. The next merge compares it with
`source_records` to find what changed; `cluster_id`/`work_id` on `source_records` are what the
rest of bokflyt reads. Created by migration 0002_merge.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class MergeOverride(Base):
    """One librarian decision: `split` (record alone) or `join` (record with other)."""

    __tablename__ = "merge_overrides"
    __table_args__ = (
        Index("ix_merge_overrides_record", "source", "record_id"),
        Index("ix_merge_overrides_other", "other_source", "other_record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    op: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    other_source: Mapped[str | None] = mapped_column(String(64))
    other_record_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    # Set by the first merge that saw the decision; an unapplied one marks its records changed.
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MergeState(Base):
    """Where the last merge placed one record, and which version of the record it saw."""

    __tablename__ = "merge_state"
    __table_args__ = (Index("ix_merge_state_component", "component_id"),)

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(64))
    work_id: Mapped[str] = mapped_column(String(64))
    component_id: Mapped[str] = mapped_column(String(64))
    record_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
