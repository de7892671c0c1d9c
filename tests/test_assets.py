"""Leaflet for offline maps: fetched once, checked against the pinned SHA-512, cached; a clear error or a
stated fallback when it cannot be had."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from equity.cli import cli
from equity.io import assets


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EQUITY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "assets"


@pytest.fixture
def unreachable(monkeypatch):
    # a port where nothing listens: a real refused connection, as on a machine without network
    monkeypatch.setattr(assets, "LEAFLET_TARBALL", "http://127.0.0.1:9/leaflet-1.9.3.tgz")


def test_tampered_cache_is_refused(empty_cache):
    empty_cache.mkdir(parents=True)
    (empty_cache / f"leaflet-{assets.LEAFLET_VERSION}.tgz").write_bytes(b"not leaflet")
    with pytest.raises(assets.AssetError, match="does not match the pinned SHA-512"):
        assets.map_assets(fetch=False)


def test_missing_without_network_says_where_to_put_it(empty_cache, unreachable):
    with pytest.raises(assets.AssetError, match=r"Could not fetch Leaflet 1\.9\.3 .* put that file at"):
        assets.map_assets()


def test_inline_without_leaflet_is_exit_2_and_auto_falls_back(empty_cache, unreachable, tmp_path):
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "a"), "--map-assets", "inline", "--no-sensitivity"])
    assert res.exit_code == 2
    assert "Could not fetch Leaflet" in res.output
    assert not (tmp_path / "a" / "map.html").exists()
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "b"), "--no-sensitivity"])
    assert res.exit_code == 0, res.output
    assert "links Leaflet from a CDN" in res.output
    page = (tmp_path / "b" / "map.html").read_text(encoding="utf-8")
    assert f"https://cdn.jsdelivr.net/npm/leaflet@{assets.LEAFLET_VERSION}/dist/leaflet.js" in page
    assert '"map_assets": "cdn"' in (tmp_path / "b" / "manifest.json").read_text(encoding="utf-8")


def test_fetched_once_then_from_the_cache(empty_cache):
    first = assets.map_assets()
    assert (empty_cache / f"leaflet-{assets.LEAFLET_VERSION}.tgz").is_file()
    again = assets.map_assets(fetch=False)
    assert first == again
    assert "L.version" in first.scripts["leaflet"] or "1.9.3" in first.scripts["leaflet"]
    assert "url(images/" not in first.styles["leaflet_css"]  # images inlined as data URIs
