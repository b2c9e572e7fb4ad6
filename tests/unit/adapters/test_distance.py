"""Distance providers: haversine, an OSRM-compatible HTTP table, GraphML, and the cache."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import requests

from adapters.distance import (
    CachedProvider,
    DistanceError,
    GraphMLProvider,
    HaversineProvider,
    Matrix,
    OsrmProvider,
    haversine_m,
)

OSLO = (59.9139, 10.7522)
BERGEN = (60.3913, 5.3221)
SANDVIKA = (59.8896, 10.5236)


def test_haversine_known_distance() -> None:
    """Oslo-Bergen great-circle distance is about 305 km."""
    assert haversine_m(OSLO, BERGEN) == pytest.approx(305_000, rel=0.01)


def test_haversine_provider_scales() -> None:
    """Road factor stretches distance; time is distance at the average speed."""
    m = HaversineProvider(road_factor=1.5, speed_kmh=36).matrix([OSLO, SANDVIKA])
    straight = haversine_m(OSLO, SANDVIKA)
    assert m.distances[0][1] == pytest.approx(1.5 * straight)
    assert m.durations[0][1] == pytest.approx(1.5 * straight / 10.0)
    assert m.distances[0][0] == 0


class _Osrm(BaseHTTPRequestHandler):
    """A tiny OSRM `/table` look-alike: durations = |i - j| * 60, distances = |i - j| * 1000."""

    requests_seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        _Osrm.requests_seen.append(self.path)
        path = self.path.split("?")[0]
        if "/table/v1/driving/" not in path:
            self._reply(400, {"code": "InvalidUrl", "message": "bad path"})
            return
        coords = path.rsplit("/", 1)[1].split(";")
        if any(c.startswith("0.000000") for c in coords):
            self._reply(400, {"code": "InvalidQuery", "message": "point in the sea"})
            return
        n = len(coords)
        body: dict[str, Any] = {
            "code": "Ok",
            "durations": [[abs(i - j) * 60.0 for j in range(n)] for i in range(n)],
            "distances": [[abs(i - j) * 1000.0 for j in range(n)] for i in range(n)],
        }
        if n == 3 and "unreachable" in self.path:
            body["durations"][0][2] = None
        self._reply(200, body)

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def osrm_url() -> Iterator[str]:
    """A real HTTP server on a free loopback port, in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_osrm_table_over_http(osrm_url: str) -> None:
    """The client sends lon,lat pairs and reads durations and distances."""
    _Osrm.requests_seen.clear()
    with requests.Session() as s:
        m = OsrmProvider(osrm_url, s).matrix([OSLO, SANDVIKA, BERGEN])
    assert m.durations[0][2] == 120.0 and m.distances[2][1] == 1000.0
    assert "10.752200,59.913900" in _Osrm.requests_seen[0]
    assert "annotations=duration%2Cdistance" in _Osrm.requests_seen[0]


def test_osrm_error_is_reported(osrm_url: str) -> None:
    """A server error becomes a DistanceError carrying the server's message."""
    with requests.Session() as s, pytest.raises(DistanceError, match="point in the sea"):
        OsrmProvider(osrm_url, s).matrix([(0.0, 0.0), OSLO])


def test_osrm_unreachable_pair(osrm_url: str) -> None:
    """A null in the table (no route) is an error, not a zero."""
    with requests.Session() as s, pytest.raises(DistanceError, match="no route"):
        OsrmProvider(osrm_url + "/unreachable", s, profile="driving").matrix(
            [OSLO, SANDVIKA, BERGEN]
        )


def test_osrm_connection_refused() -> None:
    """A server that is not there is a DistanceError naming the provider."""
    with requests.Session() as s, pytest.raises(DistanceError, match="osrm:"):
        OsrmProvider("http://127.0.0.1:9", s, timeout=2).matrix([OSLO, SANDVIKA])


def _road_file(tmp_path: Path) -> Path:
    """Three junctions a-b-c in a line (1 km each) and a long detour a-c (5 km)."""
    g = nx.MultiDiGraph()
    for n, (lat, lon) in {"a": (59.90, 10.50), "b": (59.90, 10.52), "c": (59.90, 10.54)}.items():
        g.add_node(n, x=lon, y=lat)
    for u, v, length in [("a", "b", 1000.0), ("b", "c", 1000.0), ("a", "c", 5000.0)]:
        g.add_edge(u, v, length=length)
        g.add_edge(v, u, length=length, travel_time=length / 5)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    return path


def test_graphml_shortest_paths(tmp_path: Path) -> None:
    """Distances follow the shortest road path; points snap to the nearest junction."""
    prov = GraphMLProvider(_road_file(tmp_path), speed_kmh=36)
    m = prov.matrix([(59.9001, 10.5001), (59.90, 10.54)])
    assert m.distances[0][1] == 2000.0  # via b, not the 5 km detour
    assert m.durations[0][1] == pytest.approx(200.0)  # 2 km at 10 m/s
    assert m.durations[1][0] == pytest.approx(400.0)  # reverse edges carry travel_time


def test_graphml_unreadable(tmp_path: Path) -> None:
    """A file that is not GraphML is a DistanceError."""
    bad = tmp_path / "x.graphml"
    bad.write_text("not xml")
    with pytest.raises(DistanceError):
        GraphMLProvider(bad)


class _Counting:
    key = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def matrix(self, points: Any) -> Matrix:
        self.calls += 1
        return HaversineProvider().matrix(points)


def test_cache_memory_and_disk(tmp_path: Path) -> None:
    """The same points are asked for once; a new cache on the same directory reads the file."""
    inner = _Counting()
    cache = CachedProvider(inner, tmp_path)
    a = cache.matrix([OSLO, SANDVIKA])
    b = cache.matrix([OSLO, SANDVIKA])
    assert a == b and inner.calls == 1
    cache.matrix([SANDVIKA, OSLO])
    assert inner.calls == 2
    again = CachedProvider(inner, tmp_path)
    assert again.matrix([OSLO, SANDVIKA]).distances[0][1] == pytest.approx(a.distances[0][1])
    assert inner.calls == 2
