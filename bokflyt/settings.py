"""bokflyt's configuration: one TOML file validated into one typed object.

Where the file comes from, in order: the `--config` option, the `BOKFLYT_CONFIG` environment
variable, `./bokflyt.toml`. `BOKFLYT_DATABASE_URL` overrides `[database] url` so that cron jobs
and tests can point the same file at another database. A file that does not validate raises
`SettingsError` whose message names the file, the key and what was expected; the CLI prints it
and exits 1, never a traceback.

The key names (`database`, `sites`, `sources`, `fleet` and the fields shown in the README) are a
contract: scripts and other tools write such files.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG = Path("bokflyt.toml")
DEFAULT_DATABASE_URL = "sqlite:///bokflyt.db"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLDINGS_PROFILES = ("koha-952", "marc21-852", "bibliofil-850")

_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class SettingsError(Exception):
    """The configuration could not be read or does not describe a valid setup."""


def parse_window(text: str) -> tuple[time, time]:
    """Turn "08:00-15:30" into two times; the end must come after the start."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"expected a time window like '08:00-15:30', got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"not a valid time in {text!r}: {exc}") from None
    if end <= start:
        raise ValueError(f"window {text!r} ends before it starts")
    return start, end


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


TimeWindow = Annotated[str, Field(description="HH:MM-HH:MM")]


class DatabaseSettings(_Strict):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        return value


class SiteSettings(_Strict):
    """A place books are kept or handed over: a branch, a school library or the van depot."""

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1)
    kind: Literal["branch", "school", "depot"]
    library_number: str | None = None
    address: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    hours: dict[str, list[TimeWindow]] = Field(default_factory=dict)
    notes: str | None = None
    service_days: list[str] | None = None

    @field_validator("library_number")
    @classmethod
    def _seven_digits(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{7}", value):
            raise ValueError("expected a Norwegian library number of seven digits")
        return value

    @field_validator("hours")
    @classmethod
    def _weekday_windows(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, windows in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; expected one of {', '.join(WEEKDAYS)}")
            for window in windows:
                parse_window(window)
        return value

    @field_validator("service_days")
    @classmethod
    def _weekdays(cls, value: list[str] | None) -> list[str] | None:
        for day in value or ():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; expected one of {', '.join(WEEKDAYS)}")
        return value


class CustomHoldings(_Strict):
    """Where a system not in the built-in profiles keeps its copies."""

    tag: str = Field(pattern=r"^\d{3}$")
    barcode: str = Field(min_length=1, max_length=1)
    site: str = Field(min_length=1, max_length=1)
    home_site: str | None = Field(default=None, min_length=1, max_length=1)
    call_number: str | None = Field(default=None, min_length=1, max_length=1)
    item_type: str | None = Field(default=None, min_length=1, max_length=1)
    status: str | None = Field(default=None, min_length=1, max_length=1)
    due_date: str | None = Field(default=None, min_length=1, max_length=1)
    status_map: dict[str, str] = Field(default_factory=dict)


class SourceSettings(_Strict):
    """A library system bokflyt harvests: an SRU server, an OAI-PMH repository or exported MARC
    files. OAI-PMH (`kind = "oai"`, Koha and Bibliofil offer it) harvests incrementally with
    deletions; `record_id_pattern` takes the record id (the MARC 001) out of an OAI identifier."""

    kind: Literal["sru", "oai", "file"]
    url: str | None = None
    path: str | None = None
    query: str = "cql.allRecords=1"
    incremental_query: str | None = None
    holdings: Literal["koha-952", "marc21-852", "bibliofil-850"] | CustomHoldings = "koha-952"
    sites: dict[str, str] = Field(default_factory=dict)
    record_schema: str = "marcxml"
    sru_version: Literal["1.1", "1.2", "2.0"] = "1.2"
    page_size: int = Field(default=100, ge=1, le=10_000)
    requests_per_second: float = Field(default=5.0, gt=0)
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)
    metadata_prefix: str = "marcxml"
    oai_set: str | None = None
    record_id_pattern: str = r"([^:]+)$"

    @model_validator(mode="after")
    def _where(self) -> SourceSettings:
        if self.kind in ("sru", "oai") and not self.url:
            raise ValueError(f"an {self.kind} source needs 'url'")
        try:
            groups = re.compile(self.record_id_pattern).groups
        except re.error as exc:
            raise ValueError(f"record_id_pattern is not a regular expression: {exc}") from None
        if groups < 1:
            raise ValueError("record_id_pattern needs a group, (...), around the record id")
        return self


class VanSettings(_Strict):
    name: str
    capacity_crates: int | None = Field(default=None, ge=1)


class FleetSettings(_Strict):
    """The vans, their crates and the driver's day."""

    vans: int | list[VanSettings] = 1
    crate_capacity: int = Field(default=40, ge=1, description="books per crate")
    van_capacity: int = Field(default=20, ge=1, description="crates per van")
    depot: str | None = None
    hub: str | None = None
    shift: TimeWindow = "07:30-15:30"
    break_minutes: int = Field(default=30, ge=0, le=120)
    break_window: TimeWindow = "11:00-13:00"
    average_speed_kmh: float = Field(default=35.0, gt=0)
    road_factor: float = Field(default=1.3, ge=1.0)
    service_minutes: float = Field(default=5.0, ge=0)
    minutes_per_crate: float = Field(default=1.0, ge=0)

    @field_validator("shift", "break_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    def van_list(self) -> list[VanSettings]:
        """Vans by name: a bare count becomes vans "1", "2", ..."""
        if isinstance(self.vans, int):
            return [VanSettings(name=str(i + 1)) for i in range(self.vans)]
        return list(self.vans)


class HolidaySettings(_Strict):
    """A period (both ends included) when some sites take no deliveries, e.g. school holidays.

    `kinds` (site kinds) and `sites` (site codes) say which sites; with neither, every site.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    kinds: list[Literal["branch", "school", "depot"]] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    name: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> HolidaySettings:
        if self.end < self.start:
            raise ValueError(f"holiday ends {self.end} before it starts {self.start}")
        return self


class CalendarSettings(_Strict):
    """Closures on top of each site's `hours` and `service_days` (the weekly pattern).

    `closed`: dates every site is closed (public holidays); `holidays`: periods for some kinds
    or sites; `site_closed`: extra closed dates per site code.  The planner never sends the van
    to a closed site: items for it go to the hub and on from there on its next open service day.
    """

    closed: list[date] = Field(default_factory=list)
    holidays: list[HolidaySettings] = Field(default_factory=list)
    site_closed: dict[str, list[date]] = Field(default_factory=dict)


class WebSettings(_Strict):
    """The web app: session secret, cookies, SSO behind a proxy, public search.

    `secret_key` signs the CSRF tokens. When it is unset, `bokflyt.web.create_app` refuses to
    start unless `BOKFLYT_ENV` is `development` or `test`, where it makes a throwaway key and
    logs a warning (forms then stop working across a restart, nothing worse).
    `trust_sso_header` names a header (e.g. "X-Remote-User") that a reverse proxy sets after
    its own login; set it only when the proxy strips that header from clients' requests.
    `workers` is how many server processes `bokflyt serve` starts, one per core is sensible:
    sessions, login throttling and CSRF tokens live in the database and the shared secret, so
    any worker can answer any request.
    """

    secret_key: str | None = Field(default=None, min_length=32)
    public_search: bool = False
    trust_sso_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,64}$")
    cookie_secure: bool = True
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    workers: int = Field(default=1, ge=1, le=64)


class SyncSettings(_Strict):
    """How a sync or import shares the machine with the web app.

    `nice` lowers the CPU priority of `bokflyt sync` and `bokflyt import` (0 keeps it, 19 is the
    lowest): a sync started in opening hours then yields the processor to librarians' searches
    instead of slowing them; at night, with nothing else running, it costs nothing.
    """

    nice: int = Field(default=10, ge=0, le=19)


class Settings(_Strict):
    """The whole configuration; `source_file` says where it came from, for messages."""

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    sites: list[SiteSettings] = Field(default_factory=list)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    fleet: FleetSettings = Field(default_factory=FleetSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    source_file: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        codes = [site.code for site in self.sites]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"site codes must be unique; repeated: {', '.join(duplicates)}")
        known = set(codes)
        for name, source in self.sources.items():
            for raw, target in source.sites.items():
                if target not in known:
                    raise ValueError(
                        f"sources.{name}.sites maps {raw!r} to {target!r}, which is no site code"
                    )
        for key in ("depot", "hub"):
            code = getattr(self.fleet, key)
            if code is not None and code not in known:
                raise ValueError(f"fleet.{key} is {code!r}, which is no site code")
        named = [*self.calendar.site_closed, *(c for h in self.calendar.holidays for c in h.sites)]
        strangers = sorted({c for c in named if c not in known})
        if strangers:
            raise ValueError(f"calendar names unknown site code(s): {', '.join(strangers)}")
        return self

    def site(self, code: str) -> SiteSettings:
        for site in self.sites:
            if site.code == code:
                return site
        raise KeyError(code)


def resolve_config_path(explicit: Path | None) -> Path | None:
    """The file to read, or None when no file is named and ./bokflyt.toml does not exist."""
    if explicit is not None:
        return explicit
    env = os.environ.get("BOKFLYT_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("str", "int", "float", "list[VanSettings]", "CustomHoldings") or "[" in part:
            continue  # pydantic names union branches; they are not keys in the file
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def settings_from_mapping(data: dict[str, Any], origin: str = "<settings>") -> Settings:
    """Validate already-parsed TOML; errors name `origin`, the key and what was expected."""
    data = dict(data)
    env_url = os.environ.get("BOKFLYT_DATABASE_URL")
    if env_url:
        data["database"] = {**data.get("database", {}), "url": env_url}
    try:
        return Settings.model_validate({**data, "source_file": origin})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            lines.append(f"{origin}: {_format_location(error['loc'])}: {error['msg']}")
        # a union failure yields one line per branch; keep each message once
        raise SettingsError("\n".join(dict.fromkeys(lines))) from None


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the configuration file (or defaults when there is none)."""
    resolved = resolve_config_path(path)
    if resolved is None:
        return settings_from_mapping({}, origin="(defaults)")
    try:
        raw = resolved.read_bytes()
    except OSError as exc:
        raise SettingsError(
            f"{resolved}: cannot read the configuration file: {exc.strerror}"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{resolved}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{resolved}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, origin=str(resolved))
