"""`bokflyt merge …` and `bokflyt clusters export`: the merged catalogue on the command line.

Records are named SOURCE:ID (the source name from the configuration and the record's 001),
e.g. `public:123456`. Every command that changes something runs in one transaction: the
override is stored and the merge that applies it is written together, or neither is.

Exit codes: 0 done, 1 refused (an unknown record; the reason on stderr), 2 usage.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import IO
from xml.etree import ElementTree as ET

import click

from bokflyt.commands import CommandFailed
from bokflyt.context import AppContext
from catalog.clustering_store import (
    MergeError,
    MergeReport,
    add_join,
    add_split,
    explain,
    iter_export_rows,
    iter_merged,
    parse_key,
    run_merge,
)
from catalog.merged import MergedRecord

log = logging.getLogger(__name__)

MARC_NS = "http://www.loc.gov/MARC21/slim"


def _key(text: str) -> tuple[str, str]:
    try:
        return parse_key(text)
    except MergeError as exc:
        raise click.BadParameter(str(exc)) from None


def _report(report: MergeReport) -> None:
    click.echo(
        f"{report.mode} merge: {report.records} records, {report.changed} changed, "
        f"{report.reclustered} re-clustered; {report.clusters} clusters, {report.works} works "
        f"({report.seconds:.1f} s)"
    )


@click.group("merge", invoke_without_command=True)
@click.option("--full", is_flag=True, help="Klynge alle poster på nytt, ikke bare de endrede.")
@click.option(
    "--workers",
    type=click.IntRange(1, 8),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Prosesser som beregner nøkler og sammenligner poster (resultatet blir det samme; "
    "hver ekstra prosess ved --full bruker omtrent halvparten så mye minne til).",
)
@click.pass_context
def merge(ctx: click.Context, full: bool, workers: int) -> None:
    """Slå sammen katalogen: samme bok fra alle kilder vises én gang, utgaver samles i verk.

    Uten underkommando klynges det som er endret siden forrige kjøring (eller alt med
    --full; resultatet blir det samme).
    """
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    with app.sessions().begin() as session:
        _report(run_merge(session, full=full, workers=workers, key_workers=workers))


@merge.command("explain")
@click.argument("a")
@click.argument("b")
@click.pass_obj
def explain_command(app: AppContext, a: str, b: str) -> None:
    """Forklar om postene A og B er slått sammen, og hvilken regel eller skår som avgjorde."""
    with app.sessions()() as session:
        try:
            explanation = explain(session, _key(a), _key(b))
        except MergeError as exc:
            raise CommandFailed(str(exc)) from None
    for line in explanation.lines():
        click.echo(line)


@merge.command("split")
@click.argument("record")
@click.option("--note", default=None, help="Hvorfor (lagres med avgjørelsen).")
@click.option("--by", "by", default=None, help="Hvem som avgjorde (lagres med avgjørelsen).")
@click.pass_obj
def split_command(app: AppContext, record: str, note: str | None, by: str | None) -> None:
    """Hold POST utenfor all automatisk sammenslåing fra nå av (til en senere join)."""
    with app.sessions().begin() as session:
        try:
            add_split(session, _key(record), by=by, note=note)
        except MergeError as exc:
            raise CommandFailed(str(exc)) from None
        _report(run_merge(session))


@merge.command("join")
@click.argument("a")
@click.argument("b")
@click.option("--note", default=None, help="Hvorfor (lagres med avgjørelsen).")
@click.option("--by", "by", default=None, help="Hvem som avgjorde (lagres med avgjørelsen).")
@click.pass_obj
def join_command(app: AppContext, a: str, b: str, note: str | None, by: str | None) -> None:
    """Legg A og B i samme klynge (utgave) fra nå av, uansett hva reglene sier."""
    with app.sessions().begin() as session:
        try:
            add_join(session, _key(a), _key(b), by=by, note=note)
        except MergeError as exc:
            raise CommandFailed(str(exc)) from None
        _report(run_merge(session))


@click.group("clusters")
def clusters() -> None:
    """Klyngene i den samlede katalogen, for andre verktøy."""


@clusters.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "marcxml"]),
    default="jsonl",
    show_default=True,
    help="jsonl: én linje per kildepost; marcxml: én sammenslått post per klynge.",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Filen som skal skrives (standard: standard ut).",
)
@click.option(
    "--prefer",
    multiple=True,
    help="Kilden hvis beskrivelse vinner ved likhet i den sammenslåtte posten (kan gjentas, i "
    "rekkefølge; standard: rekkefølgen i konfigurasjonen).",
)
@click.pass_obj
def export_command(app: AppContext, fmt: str, output: IO[str], prefer: tuple[str, ...]) -> None:
    """Skriv klyngene: jsonl-linjer {"source", "id", "cluster", "work"}, eller MARCXML."""
    with app.sessions()() as session:
        if fmt == "jsonl":
            for row in iter_export_rows(session):
                output.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        preferred = prefer or tuple(app.settings().sources)
        write_marcxml(iter_merged(session, preferred), output)


# --- MARCXML --------------------------------------------------------------------------------


def _datafield(
    parent: ET.Element,
    tag: str,
    subfields: Iterable[tuple[str, object]],
    ind1: str = " ",
    ind2: str = " ",
) -> None:
    values = [(code, str(value)) for code, value in subfields if value not in (None, "")]
    if not values:
        return
    field = ET.SubElement(parent, "datafield", {"tag": tag, "ind1": ind1, "ind2": ind2})
    for code, value in values:
        sub = ET.SubElement(field, "subfield", {"code": code})
        sub.text = value


def marcxml_record(merged: MergedRecord) -> ET.Element:
    """One merged record as MARC 21 XML.

    001 is the cluster id; 035 lists every member as "(source)001"; 952 holds one copy each:
    $a site, $b location code, $o call number, $p barcode, $y item type, $q due date,
    $1 status (bokflyt's status word), $9 the member record holding the copy.
    """
    rec = ET.Element("record")
    leader = ET.SubElement(rec, "leader")
    leader.text = "00000nam a22000007i 4500"
    control = ET.SubElement(rec, "controlfield", {"tag": "001"})
    control.text = merged.cluster_id
    for source, record_id in merged.members:
        _datafield(rec, "035", [("a", f"({source}){record_id}")])
    _datafield(rec, "035", [("a", f"(bokflyt-work){merged.work_id}")])
    for isbn in merged.isbns:
        _datafield(rec, "020", [("a", isbn)])
    _datafield(rec, "100", [("a", merged.main_author)], ind1="1")
    _datafield(
        rec,
        "245",
        [
            ("a", merged.title),
            ("b", merged.subtitle),
            ("n", merged.part_number),
            ("p", merged.part_name),
            ("c", merged.responsibility),
        ],
        ind1="1" if merged.main_author else "0",
        ind2="0",
    )
    _datafield(rec, "250", [("a", merged.edition)])
    _datafield(
        rec, "264", [("a", merged.place), ("b", merged.publisher), ("c", merged.year)], ind2="1"
    )
    _datafield(rec, "300", [("a", merged.extent)])
    for held in merged.items:
        item = held.item
        _datafield(
            rec,
            "952",
            [
                ("a", item.site),
                ("b", item.location_code),
                ("o", item.call_number),
                ("p", item.barcode),
                ("y", item.item_type),
                ("q", item.due_date.isoformat() if item.due_date else None),
                ("1", item.status.value),
                ("9", f"{held.source}:{held.record_id}"),
            ],
        )
    return rec


def write_marcxml(records: Iterable[MergedRecord], output: IO[str]) -> None:
    """A MARC 21 collection, streamed one record at a time."""
    output.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    output.write(f'<collection xmlns="{MARC_NS}">\n')
    for merged in records:
        output.write(ET.tostring(marcxml_record(merged), encoding="unicode"))
        output.write("\n")
    output.write("</collection>\n")
