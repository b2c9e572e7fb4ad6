"""Distance providers: travel time and distance matrices between sites.

Three sources, one interface (`DistanceProvider.matrix(points) -> Matrix`):

* `HaversineProvider` — great-circle distance x a road factor at an average speed; offline, the
  default, good enough for ranking a handful of Bærum sites;
* `OsrmProvider` — an OSRM-compatible `/table` HTTP API (OSRM itself, or any server speaking its
  protocol); the `requests.Session` is injected so tests and callers control the network;
* `GraphMLProvider` — shortest paths over a road network file (GraphML as written by OSMnx:
  nodes with `x` = longitude and `y` = latitude, edges with `length` in metres and optionally
  `travel_time` in seconds) with networkx.

`CachedProvider` wraps any of them and keeps matrices in memory and, if given a directory, on disk
as JSON keyed by the provider and the exact coordinates, so a day re-planned ten times asks the
router once.  Durations are seconds, distances metres; points are (latitude, longitude).

Error tree::

    DistanceError(RuntimeError)     -- a provider could not produce a matrix; names the provider
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

log = logging.getLogger(__name__)

LatLon = tuple[float, float]
EARTH_RADIUS_M = 6_371_008.8


class DistanceError(RuntimeError):
    """A provider could not produce a matrix."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


@dataclass(frozen=True)
class Matrix:
    """Square travel matrices over the points in the order they were given."""

    durations: tuple[tuple[float, ...], ...]
    distances: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        n = len(self.durations)
        if len(self.distances) != n or any(len(r) != n for r in (*self.durations, *self.distances)):
            raise ValueError("durations and distances must be square and of the same size")


class DistanceProvider(Protocol):
    """Anything that can turn points into a `Matrix`; `key` identifies it in caches."""

    @property
    def key(self) -> str: ...

    def matrix(self, points: Sequence[LatLon]) -> Matrix: ...


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class HaversineProvider:
    """Straight-line distance x `road_factor`, driven at `speed_kmh`: no network, no files."""

    road_factor: float = 1.35
    speed_kmh: float = 35.0

    def __post_init__(self) -> None:
        if self.road_factor < 1 or self.speed_kmh <= 0:
            raise ValueError("road_factor must be >= 1 and speed_kmh > 0")

    @property
    def key(self) -> str:
        return f"haversine:{self.road_factor}:{self.speed_kmh}"

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        dist = tuple(tuple(haversine_m(a, b) * self.road_factor for b in points) for a in points)
        mps = self.speed_kmh / 3.6
        return Matrix(tuple(tuple(d / mps for d in row) for row in dist), dist)


class OsrmProvider:
    """An OSRM-compatible `/table` service: `GET {base}/table/v1/{profile}/{lon,lat;...}`."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        profile: str = "driving",
        timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.profile = profile
        self.timeout = timeout

    @property
    def key(self) -> str:
        return f"osrm:{self.base_url}:{self.profile}"

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        if not points:
            return Matrix((), ())
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        try:
            resp = self.session.get(
                url, params={"annotations": "duration,distance"}, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise DistanceError(self.key, f"request failed: {e}") from e
        log.info("OSRM table: %d points, HTTP %s", len(points), resp.status_code)
        try:
            body: Any = resp.json()
        except ValueError:
            raise DistanceError(self.key, f"HTTP {resp.status_code}, not JSON") from None
        if resp.status_code != 200 or body.get("code") != "Ok":
            msg = body.get("message") or body.get("code") if isinstance(body, dict) else None
            raise DistanceError(self.key, f"HTTP {resp.status_code}: {msg}")
        durations, distances = body.get("durations"), body.get("distances")
        if durations is None or distances is None:
            raise DistanceError(self.key, "response lacks durations or distances")
        return Matrix(self._rows(durations, "durations"), self._rows(distances, "distances"))

    def _rows(self, rows: Any, name: str) -> tuple[tuple[float, ...], ...]:
        out = []
        for i, row in enumerate(rows):
            if any(x is None for x in row):
                raise DistanceError(self.key, f"no route from point {i} ({name} has null)")
            out.append(tuple(float(x) for x in row))
        return tuple(out)


class GraphMLProvider:
    """Shortest paths over a GraphML road network; each point snaps to its nearest node."""

    def __init__(self, path: Path, speed_kmh: float = 35.0) -> None:
        import networkx as nx

        self.path = path
        self.speed_kmh = speed_kmh
        try:
            self.graph: Any = nx.read_graphml(path)
        except (OSError, nx.NetworkXError, ValueError, SyntaxError) as e:  # ParseError: SyntaxError
            raise DistanceError(f"graphml:{path}", f"cannot read: {e}") from e
        self._nodes = [
            (n, float(d["y"]), float(d["x"]))
            for n, d in self.graph.nodes(data=True)
            if "x" in d and "y" in d
        ]
        if not self._nodes:
            raise DistanceError(f"graphml:{path}", "no nodes with x/y coordinates")

    @property
    def key(self) -> str:
        return f"graphml:{self.path}:{self.speed_kmh}"

    def _length(self, data: dict[str, Any]) -> float:
        return float(data.get("length", 0.0))

    def _time(self, data: dict[str, Any]) -> float:
        if "travel_time" in data:
            return float(data["travel_time"])
        return self._length(data) / (self.speed_kmh / 3.6)

    def nearest(self, p: LatLon) -> Any:
        return min(self._nodes, key=lambda n: haversine_m(p, (n[1], n[2])))[0]

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        import networkx as nx

        g = self.graph
        sources = [self.nearest(p) for p in points]

        def weight(attr: str) -> Any:
            pick = self._length if attr == "length" else self._time

            def w(u: Any, v: Any, d: dict[str, Any]) -> float:
                # MultiDiGraph: d maps edge keys to attribute dicts; take the cheapest parallel edge
                if d and all(isinstance(x, dict) for x in d.values()):
                    return min(pick(x) for x in d.values())
                return pick(d)

            return w

        rows: dict[str, list[tuple[float, ...]]] = {"length": [], "time": []}
        for attr in ("length", "time"):
            for i, s in enumerate(sources):
                reach = nx.single_source_dijkstra_path_length(g, s, weight=weight(attr))
                row = []
                for j, t in enumerate(sources):
                    if t not in reach:
                        raise DistanceError(self.key, f"no path from point {i} to point {j}")
                    row.append(float(reach[t]))
                rows[attr].append(tuple(row))
        return Matrix(tuple(rows["time"]), tuple(rows["length"]))


class CachedProvider:
    """Remembers matrices per (provider, points), in memory and optionally in `directory`."""

    def __init__(self, inner: DistanceProvider, directory: Path | None = None) -> None:
        self.inner = inner
        self.directory = directory
        self._memory: dict[str, Matrix] = {}
        self.misses = 0

    @property
    def key(self) -> str:
        return self.inner.key

    def _digest(self, points: Sequence[LatLon]) -> str:
        text = json.dumps([self.inner.key, [[round(a, 7), round(b, 7)] for a, b in points]])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def matrix(self, points: Sequence[LatLon]) -> Matrix:
        k = self._digest(points)
        if k in self._memory:
            return self._memory[k]
        file = self.directory / f"{k}.json" if self.directory is not None else None
        if file is not None and file.exists():
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
                m = Matrix(
                    tuple(tuple(r) for r in data["durations"]),
                    tuple(tuple(r) for r in data["distances"]),
                )
                self._memory[k] = m
                return m
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring unreadable matrix cache file %s", file)
        self.misses += 1
        m = self.inner.matrix(points)
        self._memory[k] = m
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(".tmp")
            tmp.write_text(
                json.dumps({"durations": m.durations, "distances": m.distances}), encoding="utf-8"
            )
            tmp.replace(file)
        return m
