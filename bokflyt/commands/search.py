"""`bokflyt search` and `bokflyt reindex`: the librarians' search on the command line.

Output is Norwegian bokmål. Exit codes: 0 (also for no hits), 1 a query that cannot be run
(the reason on stderr), 2 usage. `--json` prints the same document as `GET /api/search`.
"""

from __future__ import annotations

import logging

import click

from bokflyt.commands import CommandFailed
from bokflyt.context import AppContext
from catalog.query import QueryError
from catalog.search import Hit, SearchRequest, SearchResult, search
from catalog.search_index import AUDIENCE_LABELS, FORMAT_LABELS, rebuild, refresh

log = logging.getLogger(__name__)


def _status_lines(hit: Hit) -> list[str]:
    lines = []
    for copies in hit.availability:
        parts = []
        if copies.on_shelf:
            parts.append(f"{copies.on_shelf} på hylla")
        if copies.on_loan:
            due = f" (første forfall {copies.next_due:%d.%m.%Y})" if copies.next_due else ""
            parts.append(f"{copies.on_loan} utlånt{due}")
        if copies.in_transit:
            parts.append(f"{copies.in_transit} underveis")
        other = copies.copies - copies.on_shelf - copies.on_loan - copies.in_transit
        if other:
            parts.append(f"{other} ikke til utlån")
        mine = " (ditt sted)" if copies.mine else ""
        lines.append(f"     {copies.name}{mine}: {', '.join(parts) or 'ingen eksemplarer'}")
    return lines or ["     Ingen eksemplarer på kjente steder."]


def render(result: SearchResult) -> str:
    """The result as a librarian reads it in a terminal."""
    if not result.total:
        return f"Ingen treff for «{result.query}»."
    out = [f"{result.total} treff for «{result.query}» (side {result.page} av {result.pages})", ""]
    first = (result.page - 1) * result.per_page
    for number, hit in enumerate(result.hits, start=first + 1):
        title = hit.title + (f" : {hit.subtitle}" if hit.subtitle else "")
        byline = f" / {'; '.join(hit.authors[:3])}" if hit.authors else ""
        year = f" ({hit.year})" if hit.year else ""
        out.append(f"{number:>3}. {title}{byline}{year}")
        facts = [FORMAT_LABELS.get(hit.format, hit.format)]
        if hit.language:
            facts.append(hit.language)
        if hit.isbns:
            facts.append(f"ISBN {hit.isbns[0]}")
        facts.append(f"id {hit.cluster}")
        out.append("     " + " · ".join(facts))
        out.extend(_status_lines(hit))
    facets = result.facets
    out.append("")
    where = f" på {result.site}" if result.site else ""
    out.append(f"På hylla{where} nå: {facets.on_shelf_now}")
    if facets.sites:
        out.append("Steder: " + ", ".join(f"{s.site} {s.count}" for s in facets.sites))
    if facets.formats:
        out.append("Format: " + ", ".join(f"{f.label} {f.count}" for f in facets.formats))
    if facets.years:
        out.append("År: " + ", ".join(f"{f.label} {f.count}" for f in facets.years))
    if facets.audiences:
        out.append(
            "Målgruppe: "
            + ", ".join(
                f"{AUDIENCE_LABELS.get(f.value, f.value)} {f.count}" for f in facets.audiences
            )
        )
    return "\n".join(out)


@click.command("search")
@click.argument("query")
@click.option("--site", help="Stedskoden din: det som står på hylla der, vises først.")
@click.option("--available", is_flag=True, help="Bare titler på hylla nå (på --site om oppgitt).")
@click.option("--format", "format_", help="Bare ett format: book, ebook, audiobook, film …")
@click.option("--held-at", help="Bare titler med eksemplarer på dette stedet.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1), help="Side.")
@click.option("--json", "as_json", is_flag=True, help="Maskinlesbart svar (som /api/search).")
@click.pass_obj
def search_command(
    app: AppContext,
    query: str,
    site: str | None,
    available: bool,
    format_: str | None,
    held_at: str | None,
    page: int,
    as_json: bool,
) -> None:
    """Søk i den samlede katalogen (f.eks. `au:hamsun sult`, et ISBN, `år:2010-2015`)."""
    try:
        request = SearchRequest(
            q=query, site=site, available=available, format=format_, held_at=held_at, page=page
        )
        with app.sessions()() as session:
            result = search(session, request)
    except QueryError as exc:
        raise CommandFailed(exc.reason) from None
    click.echo(result.model_dump_json(indent=2) if as_json else render(result))


@click.command("reindex")
@click.option(
    "--cluster", "clusters", multiple=True, help="Bare denne klyngen (kan gjentas); ellers alt."
)
@click.pass_obj
def reindex_command(app: AppContext, clusters: tuple[str, ...]) -> None:
    """Bygg søkeindeksen på nytt (hele, eller bare de oppgitte klyngene)."""
    with app.sessions().begin() as session:
        count = refresh(session, clusters) if clusters else rebuild(session)
    click.echo(f"Søkeindeksen er oppdatert: {count} titler.")
