"""What the sync dashboard shows, as pydantic models shared by the page and the JSON API.

Raw bytes of a quarantined record are whatever a library system sent: possibly not UTF-8,
possibly markup meant to hurt. They are turned into plain text here (control characters as
visible `\\xNN` escapes) and into a hex dump; the templates escape that text again like any
other, and the JSON API carries the exact bytes as base64.
"""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from catalog.models import HarvestRun, QuarantinedRecord, Source

TEXT_PREVIEW = 64 * 1024
HEX_PREVIEW = 4 * 1024
REASON_PREVIEW = 300


class HarvestRunOut(BaseModel):
    id: int
    source: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    records_read: int
    added: int
    updated: int
    unchanged: int
    withdrawn: int
    rejected: int
    quarantined: int
    error: str | None


class QuarantineSummary(BaseModel):
    id: int
    source: str
    run_id: int | None
    record_ref: str | None
    reason: str
    size: int
    created_at: datetime


class QuarantineDetail(QuarantineSummary):
    raw_base64: str
    raw_text: str
    raw_hex: list[str]
    text_truncated: bool


def runs_query(limit: int) -> Select[HarvestRun, str, int]:
    quarantined = (
        select(func.count(QuarantinedRecord.id))
        .where(QuarantinedRecord.run_id == HarvestRun.id)
        .scalar_subquery()
    )
    return (
        select(HarvestRun, Source.name, quarantined)
        .join(Source, Source.id == HarvestRun.source_id)
        .order_by(HarvestRun.started_at.desc(), HarvestRun.id.desc())
        .limit(limit)
    )


def recent_runs(session: Session, limit: int = 50) -> list[HarvestRunOut]:
    return [
        HarvestRunOut(
            id=run.id,
            source=source,
            mode=run.mode,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            records_read=run.records_read,
            added=run.added,
            updated=run.updated,
            unchanged=run.unchanged,
            withdrawn=run.withdrawn,
            rejected=run.rejected,
            quarantined=count or 0,
            error=run.error,
        )
        for run, source, count in session.execute(runs_query(limit))
    ]


def quarantine_query(
    limit: int,
) -> Select[int, int | None, str | None, str, int, datetime, str]:
    return (
        select(
            QuarantinedRecord.id,
            QuarantinedRecord.run_id,
            QuarantinedRecord.record_ref,
            func.substr(QuarantinedRecord.reason, 1, REASON_PREVIEW),
            func.length(QuarantinedRecord.raw),
            QuarantinedRecord.created_at,
            Source.name,
        )
        .join(Source, Source.id == QuarantinedRecord.source_id)
        .order_by(QuarantinedRecord.created_at.desc(), QuarantinedRecord.id.desc())
        .limit(limit)
    )


def quarantined(session: Session, limit: int = 100) -> list[QuarantineSummary]:
    """The newest quarantined records, without their bytes (reason cut to a preview)."""
    return [
        QuarantineSummary(
            id=qid,
            source=source,
            run_id=run_id,
            record_ref=ref,
            reason=reason,
            size=size or 0,
            created_at=created,
        )
        for qid, run_id, ref, reason, size, created, source in session.execute(
            quarantine_query(limit)
        )
    ]


def visible_text(raw: bytes) -> str:
    """Bytes as readable text: UTF-8 where valid, `\\xNN` for the rest and for controls.

    MARC's record and field terminators (0x1D, 0x1E) also end a line, so fields line up.
    """
    decoded = raw.decode("utf-8", errors="backslashreplace")
    out: list[str] = []
    for ch in decoded:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 32 or code == 127 or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
            if code in (0x1D, 0x1E):
                out.append("\n")
        else:
            out.append(ch)
    return "".join(out)


def hex_dump(raw: bytes, width: int = 16) -> list[str]:
    """`offset  hex bytes  ascii` lines, like `xxd`."""
    lines = []
    for offset in range(0, len(raw), width):
        chunk = raw[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<{width * 3 - 1}}  {ascii_}")
    return lines


def quarantine_row(session: Session, qid: int) -> tuple[QuarantinedRecord, str] | None:
    row = session.execute(
        select(QuarantinedRecord, Source.name)
        .join(Source, Source.id == QuarantinedRecord.source_id)
        .where(QuarantinedRecord.id == qid)
    ).first()
    return (row[0], row[1]) if row else None


def quarantine_detail(session: Session, qid: int) -> QuarantineDetail | None:
    found = quarantine_row(session, qid)
    if found is None:
        return None
    record, source = found
    raw = bytes(record.raw)
    return QuarantineDetail(
        id=record.id,
        source=source,
        run_id=record.run_id,
        record_ref=record.record_ref,
        reason=record.reason,
        size=len(raw),
        created_at=record.created_at,
        raw_base64=base64.b64encode(raw).decode("ascii"),
        raw_text=visible_text(raw[:TEXT_PREVIEW]),
        raw_hex=hex_dump(raw[:HEX_PREVIEW]),
        text_truncated=len(raw) > TEXT_PREVIEW,
    )
