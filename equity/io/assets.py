"""The web assets a map needs to open offline: Leaflet's script, style sheet and images.

folium links Leaflet from a CDN, so a map.html sent by e-mail or opened in a council chamber without network
shows nothing. With inlined assets the map is one file that opens anywhere. Leaflet is not on PyPI, so it is
taken from the npm registry as the published tarball of the exact version folium was written for, checked
against the registry's SHA-512 integrity value pinned here, and kept in a cache folder. The heat-map plugin
ships inside the folium package itself and is read from there.

Cache folder: ``$EQUITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/equity``, else ``~/.cache/equity``. A machine that
never reaches the registry can be given the tarball by hand: put ``leaflet-<version>.tgz`` into
``<cache>/assets/``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import urllib.request
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from equity._errors import EquityError

#: Leaflet as folium 0.20 links it: version, the registry's tarball and its ``dist.integrity`` (SHA-512, base64).
LEAFLET_VERSION = "1.9.3"
LEAFLET_TARBALL = f"https://registry.npmjs.org/leaflet/-/leaflet-{LEAFLET_VERSION}.tgz"
LEAFLET_INTEGRITY = "iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ=="
#: Seconds to wait for the registry before giving up.
FETCH_TIMEOUT_S = 30


class AssetError(EquityError):
    """A web asset could not be fetched or failed its integrity check."""


@dataclass(frozen=True)
class MapAssets:
    """Script and style texts to inline into a map page (keyed by folium's asset names)."""

    scripts: dict[str, str]
    styles: dict[str, str]


def cache_dir() -> Path:
    """The folder where fetched assets are kept."""
    if os.environ.get("EQUITY_CACHE_DIR"):
        return Path(os.environ["EQUITY_CACHE_DIR"]) / "assets"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "equity" / "assets"


def _check(data: bytes, name: str) -> bytes:
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != LEAFLET_INTEGRITY:
        msg = f"{name} does not match the pinned SHA-512 integrity of Leaflet {LEAFLET_VERSION}; delete it and retry."
        raise AssetError(msg)
    return data


def leaflet_tarball(*, fetch: bool = True) -> bytes:
    """The checked bytes of Leaflet's npm tarball, from the cache or (when ``fetch``) from the npm registry.

    Raises
    ------
    AssetError
        When the tarball is not cached and cannot be fetched, or fails the integrity check.
    """
    path = cache_dir() / f"leaflet-{LEAFLET_VERSION}.tgz"
    if path.is_file():
        return _check(path.read_bytes(), str(path))
    if not fetch:
        msg = f"Leaflet {LEAFLET_VERSION} is not in the cache ({path})."
        raise AssetError(msg)
    try:
        with urllib.request.urlopen(LEAFLET_TARBALL, timeout=FETCH_TIMEOUT_S) as response:
            data = _check(response.read(), LEAFLET_TARBALL)
    except (OSError, ValueError) as exc:
        msg = (
            f"Could not fetch Leaflet {LEAFLET_VERSION} from {LEAFLET_TARBALL} ({exc}); connect once, or put that "
            f"file at {path}."
        )
        raise AssetError(msg) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def _inline_images(css: str, images: dict[str, bytes]) -> str:
    """Replace ``url(images/x.png)`` in Leaflet's style sheet with data URIs."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in images:
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(images[name]).decode()})"

    return re.sub(r"url\(images/([\w.-]+)\)", repl, css)


def map_assets(*, fetch: bool = True) -> MapAssets:
    """Leaflet's script and style (images inlined) and folium's heat-map plugin, ready to inline."""
    data = leaflet_tarball(fetch=fetch)
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("package/dist/"):
                handle = tar.extractfile(member)
                if handle is not None:
                    members[member.name.removeprefix("package/dist/")] = handle.read()
    try:
        script = members["leaflet.js"].decode("utf-8")
        css = members["leaflet.css"].decode("utf-8")
    except KeyError as exc:
        msg = f"Leaflet's tarball lacks dist/{exc.args[0]}."
        raise AssetError(msg) from exc
    images = {k.removeprefix("images/"): v for k, v in members.items() if k.startswith("images/")}
    heat = (files("folium") / "templates" / "leaflet_heat.min.js").read_text(encoding="utf-8")
    return MapAssets(
        scripts={"leaflet": script, "leaflet-heat.js": heat},
        styles={"leaflet_css": _inline_images(css, images)},
    )
