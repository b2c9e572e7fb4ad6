"""The merge on the record page, for catalogue staff: why two members are one title, split, join.

Explaining reads `catalog.clustering_store.explain`; split and join store a librarian override
(`add_split`/`add_join`), re-run the incremental merge and refresh the search documents of every
cluster that changed, all in one transaction: the override, the new clusters and the search
index become visible together or not at all. That is the same order `bokflyt.pipeline` keeps
after a sync. Only `Permission.MERGE_RECORDS` (librarian, admin) may do it; logistics staff get
403, since an undone merge is the catalogue team's work to judge.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, PageGroup, Viewer, require
from bokflyt.pipeline import affected_clusters, snapshot
from catalog import search_index
from catalog.cluster import Explanation
from catalog.clustering_store import (
    MergeError,
    add_join,
    add_split,
    explain,
    format_key,
    parse_key,
    run_merge,
)
from catalog.match import Key, Verdict
from catalog.models import Source, SourceRecord

log = logging.getLogger(__name__)
router = APIRouter()
CanMerge = Annotated[Viewer, Depends(require(Permission.MERGE_RECORDS))]
RecordRef = Annotated[str, Query(max_length=200, description="SOURCE:RECORDID")]


class ExplanationOut(BaseModel):
    """Why two records are, or are not, one title."""

    a: str
    b: str
    same_cluster: bool
    same_work: bool
    manifestation: str = Field(description="match, no_match or veto")
    rule: str
    work: str
    work_rule: str
    override: str | None
    summary: list[str] = Field(description="The verdict in bokmål, most important first")
    details: list[str] = Field(description="The matcher's observations (English)")


class SplitIn(BaseModel):
    record: str = Field(max_length=200, description="SOURCE:RECORDID to keep on its own")
    note: str | None = Field(None, max_length=500)


class JoinIn(BaseModel):
    record: str = Field(max_length=200, description="SOURCE:RECORDID")
    other: str = Field(max_length=200, description="SOURCE:RECORDID to be one title with it")
    note: str | None = Field(None, max_length=500)


class MergeOut(BaseModel):
    """Where the record is after the merge, and how many search documents were rewritten."""

    record: str
    cluster: str
    reindexed: int
    message: str


def _yes(value: bool) -> str:
    return t("merge.yes") if value else t("merge.no")


def explanation_out(exp: Explanation) -> ExplanationOut:
    """The explanation as the page and the API show it, verdict sentences in bokmål."""
    d = exp.decision
    summary = [
        t("merge.same_cluster", answer=_yes(exp.same_cluster)),
        t("merge.same_work", answer=_yes(exp.same_work)),
        t("merge.verdict", verdict=t(f"merge.verdict.{d.manifestation.value}"), rule=d.rule),
    ]
    if exp.override:
        summary.append(t("merge.override", override=exp.override))
    if exp.blocked_by is not None:
        x, y, rule = exp.blocked_by
        summary.append(t("merge.blocked", a=format_key(x), b=format_key(y), rule=rule))
    if exp.same_cluster and d.manifestation is not Verdict.MATCH and not exp.override:
        summary.append(t("merge.through_others"))
    return ExplanationOut(
        a=format_key(exp.a),
        b=format_key(exp.b),
        same_cluster=exp.same_cluster,
        same_work=exp.same_work,
        manifestation=d.manifestation.value,
        rule=d.rule,
        work=d.work.value,
        work_rule=d.work_rule,
        override=exp.override,
        summary=summary,
        details=list(d.details),
    )


def _key(text: str) -> Key:
    try:
        return parse_key(text.strip())
    except MergeError:
        raise HTTPException(status_code=400, detail=t("merge.bad_ref", ref=text[:80])) from None


def _explain(session: Session, a: str, b: str) -> ExplanationOut:
    try:
        return explanation_out(explain(session, _key(a), _key(b)))
    except MergeError as exc:
        raise HTTPException(status_code=404, detail=t("merge.unknown", detail=str(exc))) from None


def merge_context(
    request: Request, viewer: Viewer, session: Session, members: list[str]
) -> dict[str, Any]:
    """The merge section of record.html: empty for those who may not merge."""
    if not viewer.can(Permission.MERGE_RECORDS):
        return {"can_merge": False}
    a = request.query_params.get("a") or (members[0] if members else "")
    b = request.query_params.get("b") or (members[1] if len(members) > 1 else "")
    explanation, error = None, None
    if request.query_params.get("a") and request.query_params.get("b"):
        try:
            explanation = _explain(session, a, b)
        except HTTPException as exc:
            error = str(exc.detail)
    return {
        "can_merge": True,
        "explain_a": a,
        "explain_b": b,
        "explanation": explanation,
        "merge_error": error,
        "merge_notice": t("merge.done") if request.query_params.get("endret") else None,
    }


def _cluster_of(session: Session, key: Key) -> str:
    found = session.scalar(
        select(search_index.cluster_key())
        .join(Source, Source.id == SourceRecord.source_id)
        .where(Source.name == key[0], SourceRecord.record_id == key[1])
    )
    return found or format_key(key)


def apply_override(session: Session, viewer: Viewer, store: Any) -> int:
    """Store an override with `store(session)`, re-merge, refresh the search; commits once.

    Returns the number of search documents rewritten. A snapshot of every record's cluster
    before and after finds the clusters that changed, as after a sync.
    """
    before = snapshot(session)
    try:
        store(session)
    except MergeError as exc:
        session.rollback()
        raise HTTPException(status_code=404, detail=t("merge.unknown", detail=str(exc))) from None
    run_merge(session)
    clusters, _ = affected_clusters(before, snapshot(session))
    reindexed = search_index.refresh(session, clusters)
    session.commit()
    log.info("merge override by %s: %d clusters re-indexed", viewer.username, reindexed)
    return reindexed


def _split(session: Session, viewer: Viewer, record: str, note: str | None) -> MergeOut:
    key = _key(record)
    count = apply_override(
        session, viewer, lambda s: add_split(s, key, by=viewer.username, note=note)
    )
    cluster = _cluster_of(session, key)
    return MergeOut(record=record, cluster=cluster, reindexed=count, message=t("merge.done"))


def _join(session: Session, viewer: Viewer, record: str, other: str, note: str | None) -> MergeOut:
    a, b = _key(record), _key(other)
    if a == b:
        raise HTTPException(status_code=400, detail=t("merge.same_record"))
    count = apply_override(
        session, viewer, lambda s: add_join(s, a, b, by=viewer.username, note=note)
    )
    cluster = _cluster_of(session, a)
    return MergeOut(record=record, cluster=cluster, reindexed=count, message=t("merge.done"))


@router.post("/post/{cluster}/split", include_in_schema=False)
def split_form(
    cluster: str,
    viewer: CanMerge,
    session: DbSession,
    record: Annotated[str, Form(max_length=200)],
) -> Response:
    done = _split(session, viewer, record, None)
    return RedirectResponse(f"/post/{done.cluster}?endret=1#merge", status_code=303)


@router.post("/post/{cluster}/join", include_in_schema=False)
def join_form(
    cluster: str,
    viewer: CanMerge,
    session: DbSession,
    record: Annotated[str, Form(max_length=200)],
    other: Annotated[str, Form(max_length=200)],
) -> Response:
    done = _join(session, viewer, record, other, None)
    return RedirectResponse(f"/post/{done.cluster}?endret=1#merge", status_code=303)


@router.get("/api/merge/explain", response_model=ExplanationOut, tags=["catalogue"])
def api_explain(
    a: RecordRef, b: RecordRef, _viewer: CanMerge, session: DbSession
) -> ExplanationOut:
    """Why records A and B are, or are not, one title (as `bokflyt merge explain`)."""
    return _explain(session, a, b)


@router.post("/api/merge/split", response_model=MergeOut, tags=["catalogue"])
def api_split(body: SplitIn, viewer: CanMerge, session: DbSession) -> MergeOut:
    """Keep a record on its own from now on; re-merges and re-indexes at once."""
    return _split(session, viewer, body.record, body.note)


@router.post("/api/merge/join", response_model=MergeOut, tags=["catalogue"])
def api_join(body: JoinIn, viewer: CanMerge, session: DbSession) -> MergeOut:
    """Make two records one title from now on; re-merges and re-indexes at once."""
    return _join(session, viewer, body.record, body.other, body.note)


PAGES = PageGroup(name="merge", router=router)
