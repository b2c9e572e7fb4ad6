"""Settings: the shipped example validates, and a wrong file names file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bokflyt.settings import SettingsError, load_settings, parse_window

EXAMPLE = Path(__file__).parents[2] / "examples" / "baerum.toml"

MINIMAL_SITE = """
[[sites]]
code = "SAN"
name = "Sandvika bibliotek"
kind = "branch"
lat = 59.8897
lon = 10.5225
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bokflyt.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_configuration_describes_baerum() -> None:
    """examples/baerum.toml has the five branches, Fornebu and five pilot schools."""
    settings = load_settings(EXAMPLE)
    branches = {s.name for s in settings.sites if s.kind == "branch"}
    schools = [s for s in settings.sites if s.kind == "school"]
    for name in ("Sandvika", "Bekkestua", "Høvik", "Eiksmarka", "Rykkinn", "Fornebu"):
        assert any(name in branch for branch in branches), name
    assert len(schools) == 5
    assert all(s.address and s.library_number for s in settings.sites)
    assert settings.fleet.depot == "SAN"
    assert settings.sources["public"].holdings == "koha-952"


def test_defaults_when_file_is_nearly_empty(tmp_path: Path) -> None:
    """Everything but the contract keys is optional with sensible defaults."""
    settings = load_settings(write(tmp_path, MINIMAL_SITE))
    assert settings.database.url == "sqlite:///bokflyt.db"
    assert settings.fleet.crate_capacity > 0
    assert settings.fleet.van_list()[0].name == "1"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (MINIMAL_SITE.replace("59.8897", '"north"'), "sites[0].lat", "number"),
        (MINIMAL_SITE.replace('"branch"', '"shop"'), "sites[0].kind", "branch"),
        (MINIMAL_SITE + 'library_number = "12345"\n', "sites[0].library_number", "seven digits"),
        (MINIMAL_SITE.replace('name = "Sandvika bibliotek"\n', ""), "sites[0].name", "required"),
        (MINIMAL_SITE + 'colour = "red"\n', "sites[0].colour", "not permitted"),
        (MINIMAL_SITE + 'hours = { mon = ["15:00-08:00"] }\n', "sites[0].hours", "ends before"),
        (MINIMAL_SITE + 'hours = { someday = ["08:00-09:00"] }\n', "sites[0].hours", "weekday"),
        (MINIMAL_SITE + '[sources.public]\nkind = "sru"\n', "sources.public", "url"),
        (MINIMAL_SITE + '[sources.koha]\nkind = "oai"\n', "sources.koha", "url"),
        (
            MINIMAL_SITE + '[sources.koha]\nkind = "oai"\nurl = "http://x/oai"\n'
            'record_id_pattern = "[0-9]+$"\n',
            "sources.koha",
            "group",
        ),
        (
            MINIMAL_SITE + '[sources.koha]\nkind = "oai"\nurl = "http://x/oai"\n'
            'record_id_pattern = "(["\n',
            "sources.koha",
            "regular expression",
        ),
        (
            MINIMAL_SITE + '[sources.public]\nkind = "file"\nholdings = "marc-999"\n',
            "sources.public.holdings",
            "koha-952",
        ),
        (
            MINIMAL_SITE + '[sources.s]\nkind = "file"\nsites = { x = "NOPE" }\n',
            "(top level)",
            "NOPE",
        ),
        (MINIMAL_SITE + MINIMAL_SITE, "(top level)", "SAN"),
        (MINIMAL_SITE + '[fleet]\ndepot = "XYZ"\n', "(top level)", "fleet.depot"),
        (MINIMAL_SITE + '[fleet]\nshift = "early"\n', "fleet.shift", "08:00-15:30"),
        ('[database]\nurl = "mysql://x"\n', "database.url", "postgresql"),
    ],
)
def test_wrong_file_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    """Each kind of mistake is reported as 'file: key: what was expected'."""
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert f": {key}: " in message
    assert expected in message


def test_custom_holdings_table_is_accepted(tmp_path: Path) -> None:
    """A system not listed can describe its item field as a mapping table."""
    text = MINIMAL_SITE + (
        '[sources.other]\nkind = "file"\n'
        'holdings = { tag = "949", barcode = "i", site = "m", status = "s" }\n'
    )
    holdings = load_settings(write(tmp_path, text)).sources["other"].holdings
    assert not isinstance(holdings, str)
    assert (holdings.tag, holdings.barcode, holdings.site) == ("949", "i", "m")


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    """Syntax errors and unreadable files get one-line messages naming the file."""
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(write(tmp_path, "[database\n"))
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")


def test_environment_overrides_database_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BOKFLYT_CONFIG picks the file and BOKFLYT_DATABASE_URL overrides [database] url."""
    path = write(tmp_path, '[database]\nurl = "sqlite:///a.db"\n' + MINIMAL_SITE)
    monkeypatch.setenv("BOKFLYT_CONFIG", str(path))
    monkeypatch.setenv("BOKFLYT_DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    settings = load_settings(None)
    assert settings.database.url == "postgresql://postgres@127.0.0.1/x"
    assert settings.source_file == str(path)


def test_parse_window() -> None:
    """Windows parse to times; malformed or reversed ones are refused."""
    start, end = parse_window("8:05 - 15:30")
    assert (start.hour, start.minute, end.hour, end.minute) == (8, 5, 15, 30)
    for bad in ("25:00-26:00", "10:00-09:00", "morning"):
        with pytest.raises(ValueError):
            parse_window(bad)
