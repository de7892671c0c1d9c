"""Recorded Nominatim and Overpass answers served by osmnx's own response cache, for the offline tests of
``equity fetch`` (tests/test_fetch.py, tests/test_fetch_area.py).

Each test gets an empty osmnx cache folder in tmp_path and writes the recorded answers (tests/data/fetch/)
into it under the file names osmnx computes for the requests it will make, so that osmnx runs its real code
path and reads them back instead of reaching the servers. The network is blocked: a cache miss fails the
test at once, naming the request osmnx tried to send.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
from collections import OrderedDict
from pathlib import Path
from typing import Any

import osmnx as ox
import pytest
import requests
from osmnx import _http, _overpass

from equity.io.fetch import BOUNDARY_TAGS, BUILDING_TAGS, CAMERA_TAGS, LAND_TAGS, STREET_TAGS

RECORDED = Path(__file__).parent / "data" / "fetch"
PLACE = "Plaza Ejemplo, Villa Muestra"
UNKNOWN = "Atlantis, Nowhere Land"
POINT_ONLY = "Fuente Ejemplo, Villa Muestra"
TOWN = "Villa Muestra, Ecuador"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def camera_nodes(overpass: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The camera nodes of a recorded Overpass answer: ``node/<id>`` to their tags."""
    return {
        f"node/{el['id']}": el["tags"]
        for el in overpass["elements"]
        if el["type"] == "node" and el.get("tags", {}).get("man_made") == "surveillance"
    }


# ---------------------------------------------------------------------------------------------------------
# the recorded answers, keyed as osmnx keys its cache


def _nominatim_url(place: str) -> str:
    """The URL that ``osmnx.geocode_to_gdf(place)`` asks Nominatim for, prepared as osmnx prepares it.

    Mirrors ``osmnx._nominatim._download_nominatim_element`` (limit 50 because ``which_result`` is None)
    and ``_nominatim_request``, which keys the cache by this URL.
    """
    params: OrderedDict[str, int | str] = OrderedDict()
    params["format"] = "json"
    params["polygon_geojson"] = 1
    params["dedupe"] = 0
    params["limit"] = 50
    params["q"] = place
    if ox.settings.nominatim_key is not None:
        params["key"] = ox.settings.nominatim_key
    url = ox.settings.nominatim_url.rstrip("/") + "/search"
    return str(requests.Request("GET", url, params=params).prepare().url)


def _overpass_urls(polygon: Any, tags: dict[str, Any]) -> list[str]:
    """The URLs (one per sub-polygon) that ``osmnx.features_from_polygon(polygon, tags)`` keys its cache by.

    Built with osmnx's own query builders, as ``_download_overpass_features`` and ``_overpass_request`` do.
    """
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    return [
        str(requests.Request("GET", url, params=OrderedDict(data=query)).prepare().url)
        for query in (
            _overpass._create_overpass_features_query(coords, tags)
            for coords in _overpass._make_overpass_polygon_coord_strs(polygon)
        )
    ]


class Recorder:
    """Writes recorded answers into osmnx's cache folder under the names osmnx computes."""

    def __init__(self) -> None:
        self.files: list[Path] = []

    def _save(self, url: str, answer: Any) -> None:
        path = _http._resolve_cache_filepath(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answer), encoding="utf-8")
        self.files.append(path)

    def nominatim(self, place: str, answer: Any) -> None:
        self._save(_nominatim_url(place), answer)

    def overpass(self, place: str, tags: dict[str, Any], answer: Any) -> None:
        """Record ``answer`` for the Overpass query of ``tags`` inside ``place``'s recorded boundary.

        The query polygon comes from osmnx itself (answered from the cache), exactly as fetch_place builds it.
        """
        polygon = ox.geocode_to_gdf(place).union_all()
        for url in _overpass_urls(polygon, tags):
            self._save(url, answer)

    def place(
        self,
        place: str = PLACE,
        *,
        cameras: Any = None,
        buildings: Any = None,
        boundaries: Any = None,
        streets: Any = None,
        landuse: Any = None,
    ) -> None:
        """The usual set: the plaza's boundary, its cameras, and its other layers (none mapped, unless given)."""
        self.nominatim(place, recorded("nominatim_plaza.json"))
        self.overpass(place, CAMERA_TAGS, recorded("overpass_cameras.json") if cameras is None else cameras)
        empty = recorded("overpass_empty.json")
        for tags, answer in (
            (BUILDING_TAGS, buildings),
            (BOUNDARY_TAGS, boundaries),
            (STREET_TAGS, streets),
            (LAND_TAGS, landuse),
        ):
            self.overpass(place, tags, empty if answer is None else answer)

    def town(self, place: str = TOWN, **answers: Any) -> None:
        """The made-up town of make_town.py: its boundary, the plaza's cameras (inside it) and its layers."""
        self.nominatim(place, recorded("nominatim_town.json"))
        self.overpass(place, CAMERA_TAGS, answers.get("cameras", recorded("overpass_cameras.json")))
        for name, tags in (
            ("buildings", BUILDING_TAGS),
            ("boundaries", BOUNDARY_TAGS),
            ("streets", STREET_TAGS),
            ("landuse", LAND_TAGS),
        ):
            self.overpass(place, tags, answers.get(name, recorded(f"overpass_town_{name}.json")))


class Network:
    """Stands in for the network: a request fails the test (a cache miss), or, when ``down``, fails as an
    unreachable server would; ``answer`` serves one fixed HTTP response instead."""

    def __init__(self) -> None:
        self.down = False
        self.answer: requests.Response | None = None
        self.requests: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        self.requests.append(f"{method} {url}")
        if self.answer is not None:
            return self.answer
        if self.down:
            raise requests.exceptions.ConnectionError(f"offline test: {method} {url}")
        data = str(kwargs.get("data") or kwargs.get("params") or "")[:300]
        pytest.fail(f"osmnx cache miss: it tried the network with {method} {url} {data}")

    def gethostbyname(self, host: str) -> str:
        if self.down or self.answer is not None:
            raise socket.gaierror(socket.EAI_NONAME, "offline test")
        pytest.fail(f"osmnx cache miss: it tried to resolve {host!r}")

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise socket.gaierror(socket.EAI_NONAME, "offline test")
        pytest.fail(f"a test tried to open a connection to {host!r}")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    """No real network: requests (every verb goes through Session.request) and DNS are stood in for.

    osmnx's ``_config_dns`` replaces ``socket.getaddrinfo`` for good; monkeypatching it first puts the
    original back after the test.
    """
    net = Network()
    monkeypatch.setattr(requests.sessions.Session, "request", lambda _self, *a, **kw: net.request(*a, **kw))
    monkeypatch.setattr(socket, "gethostbyname", net.gethostbyname)
    monkeypatch.setattr(socket, "getaddrinfo", net.getaddrinfo)
    return net


@pytest.fixture
def osm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, network: Network) -> Recorder:
    """osmnx set to answer from an empty cache folder of this test, without the Overpass status check."""
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx-cache")
    monkeypatch.setattr(ox.settings, "cache_only_mode", False)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)  # else a GET of <overpass_url>/status first
    monkeypatch.setattr(ox.settings, "log_console", False)
    monkeypatch.setattr(ox.settings, "log_file", False)
    return Recorder()


def osmnx_settings() -> dict[str, Any]:
    """A copy of osmnx's documented settings (its module's plain values)."""
    plain = (bool, int, float, str, Path, list, dict, type(None))
    return {k: copy.deepcopy(v) for k, v in vars(ox.settings).items() if not k.startswith("_") and isinstance(v, plain)}


@pytest.fixture
def equity_logger():
    """The CLI configures the 'equity' logger for its own stderr; put it back as it was."""
    logger = logging.getLogger("equity")
    handlers, level = logger.handlers[:], logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


class OsmServer:
    """A local HTTP server that answers as Nominatim (``GET /search``) and Overpass (``POST /interpreter``) do,
    with the town's recordings, and keeps the requests it was sent (method, path, the query's tag keys)."""

    #: The recording of an Overpass query, by the first of these keys it filters on (osmnx quotes them so).
    LAYERS = (
        ("'man_made'", "overpass_cameras.json"),
        ("'boundary'", "overpass_town_boundaries.json"),
        ("'building'", "overpass_town_buildings.json"),
        ("'landuse'", "overpass_town_landuse.json"),
        ("'highway'", "overpass_town_streets.json"),
    )

    def __init__(self) -> None:
        import http.server
        import threading
        from urllib.parse import parse_qs, urlsplit

        self.requests: list[tuple[str, str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body: Any) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                place = parse_qs(parts.query).get("q", [""])[0]
                server.requests.append(("GET", parts.path, place))
                self._answer(recorded("nominatim_town.json") if place == TOWN else [])

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                query = parse_qs(self.rfile.read(length).decode("utf-8")).get("data", [""])[0]
                name = next((file for key, file in server.LAYERS if key in query), None)
                server.requests.append(("POST", urlsplit(self.path).path, name or query[:80]))
                self._answer(recorded(name) if name else {"version": 0.6, "elements": []})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def osm_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """osmnx pointed at a local :class:`OsmServer` (its real HTTP requests, parsing and cache; an empty cache
    folder of this test). osmnx's ``_config_dns`` replaces ``socket.getaddrinfo`` for good: monkeypatching it
    first puts the original back after the test."""
    server = OsmServer()
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)
    monkeypatch.setattr(ox.settings, "nominatim_url", server.url)
    monkeypatch.setattr(ox.settings, "overpass_url", server.url)
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx-cache")
    monkeypatch.setattr(ox.settings, "cache_only_mode", False)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "log_console", False)
    monkeypatch.setattr(ox.settings, "log_file", False)
    yield server
    server.close()
