"""Generate a labelled set: the same books catalogued differently by two library systems.

Each generated *work* (one title by one author) gets one or more *manifestations* (an edition in
a format: printed book, large print, e-book, audiobook on disc or online); each manifestation is
rendered as one or more `BibRecord`s in the "public" and "school" systems, each rendering with
its own cataloguing habits (ISBN-10 or -13, hyphens, binding qualifiers, missing ISBN, subtitle in
$b, keyed into $a or left out, case, author with dates or in direct order, publisher spelt out or
short, typing slips in the title). Hard negatives are generated on purpose: later editions,
other formats, volumes of one series with one title, and the same title by another author.

Labels are (manifestation id, work id) per record. Everything is drawn from `random.Random(seed)`
so a seed names a set. Run as a script to print a summary:

    python -m benchmarks.gen_labelled --works 2000 --seed 7
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum import ean, isbn

from catalog.records import BibRecord

FIRST_NAMES = [
    "Jo",
    "Anne",
    "Bjørn",
    "Åse",
    "Øystein",
    "Kjærsti",
    "Håkon",
    "Sølvi",
    "Ingrid",
    "Lars",
    "Tore",
    "Mette",
    "Ragnhild",
    "Ådne",
    "Jørgen",
    "Sigrid",
    "Kåre",
    "Synnøve",
    "Tormod",
    "Astrid",
    "Øyvind",
    "Solveig",
    "Gaute",
    "Hege",
    "Per",
    "Kari",
    "Nils",
    "Liv",
    "Eirik",
    "Tove",
    "Ståle",
    "Marit",
    "Geir",
    "Turid",
    "Hallvard",
    "Brit",
    "Ørjan",
    "Dagny",
    "Leif",
    "Gro",
    "Trygve",
    "Åshild",
    "Espen",
    "Bodil",
    "Vidar",
    "Maja",
    "Henrik",
    "Kristin",
    "Sverre",
    "Ellen",
    "Aksel",
    "Frøydis",
    "Jens",
    "Tuva",
    "Magnus",
    "Ane",
    "Sindre",
    "Live",
    "Erlend",
    "Ida",
]
MIDDLE = ["B.", "M.", "K.", "Birkefeldt", "Marie", "Johan", "Elise", "Olav"]
SURNAMES = [
    "Nesbø",
    "Ragde",
    "Fosse",
    "Kjærstad",
    "Ørstavik",
    "Åsheim",
    "Hægeland",
    "Solstad",
    "Bråthen",
    "Lønn",
    "Østby",
    "Sæther",
    "Dahl",
    "Berg",
    "Hansen",
    "Haugen",
    "Næss",
    "Løken",
    "Lie",
    "Vik",
    "Strøm",
    "Aasen",
    "Bjørnstad",
    "Grønli",
    "Kvåle",
    "Myklebust",
    "Tønnesen",
    "Ødegård",
    "Ås",
    "Brænne",
    "Hjorth",
    "Fjellstad",
    "Jære",
    "Sørbø",
    "Lunde",
    "Moe",
    "Holm",
    "Rønning",
    "Sandvær",
    "Tveit",
    "Ulvestad",
    "Vestøl",
    "Wærdahl",
    "Ystgaard",
    "Økland",
    "Årdal",
    "Bakkebø",
    "Dørum",
    "Flø",
    "Gjærde",
    "Høiby",
    "Isaksen",
    "Jøssang",
    "Kråkenes",
    "Lægreid",
    "Mæland",
    "Nøst",
    "Olsen",
    "Pålsrud",
    "Risøy",
    "Skjærvø",
    "Thrane",
    "Ueland",
    "Vågen",
    "Wiik",
    "Aarø",
    "Blix",
    "Christensen",
]
DOUBLE_SURNAMES = ("Saabye Christensen", "Fløgstad Berg", "Lunde Ås", "Heggheim Moe")
# Farm-name surnames built from a stem and an ending ("Bjørnstad", "Kvålheim", "Åsli"): with the
# list above, about 600 surnames, so a large set has as many authors as a real catalogue has
# per initial letter, not a handful writing hundreds of books each.
SURNAME_STEMS = [
    "Bjørn",
    "Fjell",
    "Grøn",
    "Hauk",
    "Kvål",
    "Løv",
    "Myr",
    "Nord",
    "Ør",
    "Sol",
    "Strand",
    "Vik",
    "Å",
    "Berg",
    "Dal",
    "Eng",
    "Lund",
    "Hølle",
    "Rø",
    "Skår",
    "Tveit",
    "Ulv",
    "Væ",
    "Ås",
    "Brå",
    "Følling",
    "Gjøs",
    "Hjelm",
    "Kjøs",
    "Lø",
    "Mæl",
    "Nøtt",
    "Rød",
    "Sæl",
    "Tø",
]
SURNAME_ENDINGS = [
    "stad",
    "heim",
    "li",
    "rud",
    "vik",
    "land",
    "bø",
    "dal",
    "berg",
    "haug",
    "nes",
    "øy",
    "seth",
    "mo",
    "gård",
]
NOUNS = [
    "hav",
    "fjell",
    "skog",
    "natt",
    "elv",
    "himmel",
    "stein",
    "hjerte",
    "sommer",
    "vinter",
    "vind",
    "bølge",
    "øy",
    "bro",
    "fyr",
    "kyst",
    "hus",
    "gård",
    "tårn",
    "stjerne",
    "måne",
    "sol",
    "lys",
    "skygge",
    "drøm",
    "sang",
    "stemme",
    "brev",
    "kart",
    "nøkkel",
    "speil",
    "vindu",
    "dør",
    "sti",
    "bre",
    "isbre",
    "dal",
    "fjord",
    "båt",
    "seil",
    "ørn",
    "ulv",
    "bjørn",
    "rev",
    "hare",
    "kråke",
    "svane",
    "laks",
    "sild",
    "bjørk",
    "gran",
    "eik",
    "rose",
    "lilje",
    "kløver",
    "snø",
    "regn",
    "tåke",
    "storm",
    "hagl",
    "torden",
    "glede",
    "sorg",
    "lengsel",
    "minne",
    "løfte",
    "hemmelighet",
    "sannhet",
    "løgn",
    "angst",
    "håp",
    "kjærlighet",
    "vennskap",
    "reise",
    "hjemkomst",
    "flukt",
    "strid",
    "fred",
    "sølv",
    "gull",
    "jern",
    "glass",
    "krystall",
    "salt",
    "aske",
    "ild",
    "vann",
    "jord",
    "luft",
    "tid",
    "evighet",
    "øyeblikk",
    "grense",
]
ADJECTIVES = [
    "hvite",
    "svarte",
    "blå",
    "røde",
    "grønne",
    "gylne",
    "sølvgrå",
    "stille",
    "lange",
    "korte",
    "siste",
    "første",
    "glemte",
    "skjulte",
    "brente",
    "frosne",
    "våte",
    "tørre",
    "mørke",
    "lyse",
    "kalde",
    "varme",
    "ville",
    "tamme",
    "gamle",
    "unge",
    "nye",
    "stjålne",
    "tapte",
    "fundne",
    "sovende",
    "våkne",
    "drømmende",
    "blødende",
    "sterke",
    "svake",
    "tause",
    "syngende",
    "fjerne",
    "nære",
    "hemmelige",
    "åpne",
    "lukkede",
    "ødelagte",
    "hele",
    "knuste",
    "evige",
    "flyktige",
    "søte",
    "bitre",
    "salte",
    "ærlige",
    "falske",
]
SUBTITLES = (
    "roman",
    "kriminalroman",
    "noveller",
    "dikt",
    "fortellinger",
    "en roman om {noun}",
    "historien om {noun} og {noun2}",
    "en barnebok",
    "essays",
    "minner fra {noun}",
)
PUBLISHERS = (
    ("Gyldendal", "Gyldendal Norsk Forlag", "Gyldendal norsk forlag AS"),
    ("Cappelen Damm", "Cappelen Damm AS", "CAPPELEN DAMM"),
    ("Aschehoug", "H. Aschehoug & Co.", "Aschehoug forlag"),
    ("Oktober", "Forlaget Oktober", "Oktober forlag"),
    ("Samlaget", "Det Norske Samlaget", "Samlaget"),
    ("Vigmostad & Bjørke", "Vigmostad og Bjørke", "Vigmostad & Bjørke AS"),
    ("Pax", "Pax forlag", "Pax"),
    ("Kagge", "Kagge forlag", "Kagge Forlag AS"),
    ("Tiden", "Tiden Norsk Forlag", "Tiden"),
    ("Spartacus", "Spartacus forlag", "Spartacus"),
    ("Bokvennen", "Bokvennen forlag", "Bokvennen"),
    ("Font", "Font forlag", "Font Forlag AS"),
)
PUBLISHER_CODES = ("05", "02", "03", "495", "521", "419", "530", "489", "10", "430", "7683", "8169")
FORMATS = ("book", "large_print", "ebook", "audiobook", "audiobook_online")
SOURCES = ("public", "school")


@dataclass(frozen=True, slots=True)
class Labelled:
    """One generated record and the truth about it."""

    record: BibRecord
    manifestation: str
    work: str


@dataclass(frozen=True, slots=True)
class _Work:
    wid: str
    author: tuple[str, str, str] | None  # (first, middle or "", surname)
    birth: int
    title: str
    subtitle: str | None
    part: int | None


@dataclass(frozen=True, slots=True)
class _Manifestation:
    mid: str
    work: _Work
    fmt: str
    year: int
    edition: int
    publisher: int
    pages: int
    isbn13: str | None


class Generator:
    """Builds works, manifestations and renderings from one seeded random source."""

    def __init__(self, seed: int, hard: bool = False) -> None:
        self.rnd = random.Random(seed)
        # The hard profile: more missing ISBNs and typing slips, plus habits the standard
        # profile never shows (colon without space, responsibility keyed into $a, initials
        # only, format only in a GMD or the extent, no 33X/007 at all).
        self.hard = hard
        self.missing_isbn = 0.4 if hard else 0.12
        self.typo_rate = 0.1 if hard else 0.04
        self.used: set[tuple[str, str]] = set()
        self.isbn_serial = 0
        self.record_serial = {s: 0 for s in SOURCES}
        self.seed = seed

    # --- the truth ---

    def _author(self) -> tuple[str, str, str]:
        r = self.rnd
        roll = r.random()
        if roll < 0.05:
            surname = r.choice(DOUBLE_SURNAMES)
        elif roll < 0.45:
            surname = r.choice(SURNAMES)
        else:
            surname = r.choice(SURNAME_STEMS) + r.choice(SURNAME_ENDINGS)
        middle = r.choice(MIDDLE) if r.random() < 0.2 else ""
        return (r.choice(FIRST_NAMES), middle, surname)

    def _title(self) -> str:
        r = self.rnd
        n1, n2 = r.sample(NOUNS, 2)
        adj = r.choice(ADJECTIVES)
        pattern = r.randrange(7)
        if pattern == 0:
            t = f"{n1.capitalize()}"
        elif pattern == 1:
            t = f"Det {adj} {n1}" if r.random() < 0.5 else f"Den {adj} {n1}"
        elif pattern == 2:
            t = f"{n1.capitalize()} og {n2}"
        elif pattern == 3:
            t = f"{adj.capitalize()} {n1}"
        elif pattern == 4:
            t = f"{n1.capitalize()}ens {n2}"
        elif pattern == 5:
            t = f"Under {adj} {n1}"
        else:
            t = f"{n1.capitalize()} i {n2}"
        return t

    def _subtitle(self) -> str | None:
        r = self.rnd
        if r.random() < 0.5:
            return None
        n1, n2 = r.sample(NOUNS, 2)
        return r.choice(SUBTITLES).format(noun=n1, noun2=n2)

    def _new_work(
        self,
        wid: str,
        title: str | None = None,
        part: int | None = None,
        author: tuple[str, str, str] | None = None,
    ) -> _Work:
        r = self.rnd
        while True:
            a = author if author is not None else self._author()
            t = title if title is not None else self._title()
            if (" ".join(a), t) not in self.used:
                self.used.add((" ".join(a), t))
                break
            author = None if title is not None else author
        return _Work(wid, a, r.randint(1930, 1990), t, self._subtitle(), part)

    def _isbn(self, publisher: int) -> str:
        """A valid, never repeated ISBN-13 (check digit from python-stdnum)."""
        del publisher
        self.isbn_serial += 1
        body = f"9788{self.seed % 10}{self.isbn_serial:07d}"
        return body + ean.calc_check_digit(body)

    def _manifestations(self, work: _Work, wno: int | str) -> list[_Manifestation]:
        r = self.rnd
        out = []
        publisher = r.randrange(len(PUBLISHERS))
        year = r.randint(1975, 2024)
        editions = 1 + (r.random() < 0.3) + (r.random() < 0.1)
        mno = 0
        for ed in range(1, editions + 1):
            ed_year = year if ed == 1 else min(2026, year + r.randint(1, 6) * (ed - 1))
            pages = r.randint(48, 640)
            if ed > 1:
                pages += r.randint(-30, 60)
            formats = ["book"]
            for fmt, p in (
                ("large_print", 0.08),
                ("ebook", 0.3),
                ("audiobook", 0.25),
                ("audiobook_online", 0.15),
            ):
                if r.random() < p:
                    formats.append(fmt)
            for fmt in formats:
                mno += 1
                has_isbn = r.random() < (0.93 if ed_year >= 1990 else 0.6)
                out.append(
                    _Manifestation(
                        f"m{self.seed}-{wno}-{mno}",
                        work,
                        fmt,
                        ed_year,
                        ed,
                        publisher,
                        pages,
                        self._isbn(publisher) if has_isbn else None,
                    )
                )
        return out

    def works(self, n_works: int) -> Iterator[list[_Manifestation]]:
        """Yield the manifestations of each work; some works are planted hard negatives."""
        r = self.rnd
        wno = 0
        while wno < n_works:
            wno += 1
            kind = r.random()
            if kind < 0.08 and wno + 3 < n_works:
                # A series: volumes with one title and author, numbered parts, often one year.
                base = self._new_work(f"w{self.seed}-{wno}")
                vols = r.randint(2, 4)
                for v in range(1, vols + 1):
                    w = _Work(
                        f"w{self.seed}-{wno}-v{v}", base.author, base.birth, base.title, None, v
                    )
                    yield self._manifestations(w, f"{wno}v{v}")
                continue
            w = self._new_work(f"w{self.seed}-{wno}")
            yield self._manifestations(w, wno)
            if kind > 0.92 and wno + 1 < n_works:
                # The same title by another author.
                wno += 1
                other = self._new_work(f"w{self.seed}-{wno}", title=w.title)
                yield self._manifestations(other, wno)

    # --- renderings ---

    def _render_isbn(self, isbn13: str) -> str:
        r = self.rnd
        choice = r.randrange(6)
        value = isbn13
        if choice in (1, 2) and isbn13.startswith("978"):
            value = isbn.to_isbn10(isbn13)
        if choice in (0, 2, 4):
            value = isbn.format(value)
        if r.random() < 0.3:
            value += r.choice((" (ib.)", " (h.)", " (innb.)", " ib.", " (pbk.)"))
        return value

    def _render_author(self, w: _Work) -> str | None:
        if w.author is None:
            return None
        r = self.rnd
        first, middle, surname = w.author
        given = f"{first} {middle}".strip()
        if middle and r.random() < 0.3:
            given = first
        style = r.randrange(5)
        if style == 0:
            name = f"{surname}, {given}"
        elif style == 1:
            name = f"{surname}, {given}, {w.birth}-"
        elif style == 2:
            name = f"{given} {surname}"
        elif style == 3:
            name = f"{surname}, {given} ({w.birth}-)"
        else:
            name = f"{surname}, {given}, f. {w.birth}"
        return name.upper() if r.random() < 0.05 else name

    def _typo(self, text: str) -> str:
        r = self.rnd
        letters = [i for i, c in enumerate(text) if c.isalpha()]
        if len(letters) < 6:
            return text
        i = r.choice(letters[1:-1])
        op = r.randrange(3)
        if op == 0 and i + 1 < len(text) and text[i + 1].isalpha():
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if op == 1:
            return text[:i] + text[i + 1 :]
        return text[:i] + r.choice("aeionrstlk") + text[i + 1 :]

    def _render_edition(self, n: int) -> str | None:
        r = self.rnd
        if n == 1:
            return r.choice((None, None, None, "1. utg.", "1. utgave"))
        ordinal = {2: "Andre", 3: "Tredje"}.get(n, f"{n}.")
        en = {2: "2nd", 3: "3rd"}.get(n, f"{n}th")
        return r.choice(
            (f"{n}. utg.", f"{n}. utgave", f"{ordinal} utgave", f"{en} ed.", f"{n}. utg., 2. oppl.")
        )

    def _render_format(self, fmt: str) -> dict[str, object]:
        r = self.rnd
        rda = r.random() < 0.7
        if fmt == "book":
            return {
                "record_type": "a",
                "physical": r.choice(((), ("ta",))),
                "content_types": ("tekst",) if rda else (),
                "media_types": ("uformidlet",) if rda else (),
                "carrier_types": ("bind",) if rda else (),
            }
        if fmt == "large_print":
            return {
                "record_type": "a",
                "physical": ("tb",) if r.random() < 0.6 else (),
                "fixed_008_form": "d",
                "content_types": ("tekst",) if rda else (),
                "carrier_types": ("bind",) if rda else (),
            }
        if fmt == "ebook":
            return {
                "record_type": "a",
                "physical": ("cr",) if r.random() < 0.8 else (),
                "fixed_008_form": "o",
                "content_types": ("tekst",),
                "media_types": ("datamaskin",),
                "carrier_types": (r.choice(("online ressurs", "online resource")),),
            }
        if fmt == "audiobook":
            return {
                "record_type": "i",
                "physical": ("sd f",) if r.random() < 0.7 else (),
                "content_types": (r.choice(("talt ord", "spoken word")),),
                "media_types": ("audio",),
                "carrier_types": ("lydplate",) if rda else (),
            }
        return {
            "record_type": "i",
            "physical": ("cr",) if r.random() < 0.7 else (),
            "content_types": ("talt ord",),
            "media_types": ("datamaskin",),
            "carrier_types": ("online ressurs",),
        }

    def _render_extent(self, m: _Manifestation) -> str | None:
        r = self.rnd
        if m.fmt.startswith("audiobook"):
            hours = max(1, m.pages // 40)
            return r.choice((f"{max(1, hours // 1)} CD ({hours} t.)", f"1 lydfil ({hours} t.)"))
        if r.random() < 0.1:
            return None
        if m.fmt == "ebook":
            return r.choice((f"1 online ressurs ({m.pages} s.)", "1 online ressurs"))
        return r.choice(
            (f"{m.pages} s.", f"{m.pages} sider", f"[{m.pages}] s.", f"{m.pages} s. : ill.")
        )

    def render(self, m: _Manifestation, source: str, *, keep_isbn: bool = False) -> BibRecord:
        """One system's record of a manifestation, with that cataloguer's habits."""
        r = self.rnd
        w = m.work
        self.record_serial[source] += 1
        rid = f"{source[0]}{self.seed}{self.record_serial[source]:08d}"
        isbns: tuple[str, ...] = ()
        if m.isbn13 and (keep_isbn or r.random() > self.missing_isbn):
            isbns = (self._render_isbn(m.isbn13),)
        title, subtitle = w.title, w.subtitle
        if subtitle is not None:
            style = r.randrange(5)
            if style == 1:
                title, subtitle = f"{title} : {subtitle}", None
            elif style == 2:
                subtitle = None
        part_number: str | None = None
        if w.part is not None:
            pstyle = r.randrange(5)
            roman = ("I", "II", "III", "IV", "V")[w.part - 1]
            if pstyle == 4:
                title = f"{title}. Bd. {w.part}"
            else:
                part_number = (str(w.part), f"Bd. {w.part}", f"Del {w.part}", roman)[pstyle]
        if r.random() < self.typo_rate:
            title = self._typo(title)
        author = self._render_author(w)
        fmt = self._render_format(m.fmt)
        extent = self._render_extent(m)
        if self.hard:
            habit = r.randrange(6)
            if habit == 0 and subtitle:
                title, subtitle = f"{title}: {subtitle}", None
            elif habit == 1 and author:
                title = f"{title} / {author.split(',')[0]}"
            elif habit == 2 and w.author:
                author = f"{w.author[2]}, {w.author[0][0]}."
            elif habit == 3 and m.fmt == "ebook":
                fmt = {"record_type": "a"}
                title, extent = f"{title} [Elektronisk ressurs]", "1 online ressurs"
            elif habit == 4 and m.fmt == "book":
                fmt = {"record_type": "a"}
        case = r.random()
        if case < 0.05:
            title = title.upper()
        elif case < 0.1:
            title = title.lower()
        form = fmt.pop("fixed_008_form", None)
        fixed = None
        if form is not None or r.random() < 0.5:
            chars = [" "] * 40
            chars[0:7] = "000000s"
            chars[7:11] = str(m.year)
            chars[15:18] = "no "
            chars[23] = str(form or " ")
            fixed = "".join(chars)
        return BibRecord(
            source=source,
            record_id=rid,
            title=title,
            subtitle=subtitle,
            part_number=part_number,
            main_author=author,
            isbns=isbns,
            edition=self._render_edition(m.edition),
            publisher=r.choice(PUBLISHERS[m.publisher]),
            place=r.choice(("Oslo", "[Oslo]", "Oslo :")),
            year=m.year,
            extent=extent,
            language="nob",
            fixed_008=fixed,
            **fmt,  # type: ignore[arg-type]
        )


def generate(n_works: int, seed: int = 1, hard: bool = False) -> list[Labelled]:
    """The labelled set for `n_works` works (about four records per work)."""
    return list(iter_labelled(n_works, seed, hard))


def iter_labelled(n_works: int, seed: int = 1, hard: bool = False) -> Iterator[Labelled]:
    """Stream the labelled set (for the scale benchmark, which must not hold every record)."""
    g = Generator(seed, hard)
    r = g.rnd
    for manifestations in g.works(n_works):
        for m in manifestations:
            sources = [s for s, p in zip(SOURCES, (0.85, 0.7), strict=True) if r.random() < p]
            if not sources:
                sources = [r.choice(SOURCES)]
            duplicate = m.isbn13 is not None and r.random() < 0.03
            for s in sources:
                yield Labelled(g.render(m, s, keep_isbn=duplicate), m.mid, m.work.wid)
            if duplicate:
                # Now and then a system holds the same book twice; then both carry the ISBN.
                s = r.choice(sources)
                yield Labelled(g.render(m, s, keep_isbn=True), m.mid, m.work.wid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = generate(args.works, args.seed)
    print(
        f"{len(data)} records, {len({d.manifestation for d in data})} manifestations, "
        f"{len({d.work for d in data})} works"
    )
    print(Counter(d.record.source for d in data))
    for d in data[:12]:
        print(d.manifestation, d.work, d.record)


if __name__ == "__main__":
    main()
