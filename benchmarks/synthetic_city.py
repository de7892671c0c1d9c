"""A synthetic city of any size, written as the files ``equity analyze`` reads.

The city lies on a hillside near Quito (UTM zone 17 south, EPSG:32717): flat in the east, rising to the west
like the slopes of Pichincha. Its camera density is constant (:data:`CAMERAS_PER_KM2`), so that its area
grows with the number of cameras: 1,000 cameras cover 4 km², 100,000 cover 400 km². Everything is drawn
from one seeded generator with vectorised numpy, so the same size and seed give the same files, and 100,000
cameras are generated in seconds.

Files, in ``out``:

- ``cameras.osm``: OSM XML, one ``man_made=surveillance`` node per camera with the tags mappers write
  (``surveillance``, ``surveillance:type``, ``surveillance:zone``, ``camera:type`` fixed/dome/panning,
  ``camera:mount``, ``camera:direction`` in degrees or compass points, missing on some fixed cameras,
  ``height`` in metres or feet on some, ``operator`` with the spelling variants of real data);
- ``buildings.gpkg``: footprints (layer ``buildings``) with ``building``, and ``height`` or
  ``building:levels`` on some;
- ``dem.tif``: the hillside, 10 m cells, float32 GeoTIFF;
- ``units.geojson``: square neighbourhoods (``name``) of about :data:`UNIT_KM2` km² with ``population``;
- ``crime.csv``: incident points (``IncidntNum``, ``Category``, ``Date``, ``X``, ``Y``), in hot spots and
  spread out.

Streets are a regular grid of :data:`BLOCK_M` m blocks; buildings stand in a 3 x 3 pattern inside each
block; cameras stand on the pavement (``camera:mount`` wall or pole) and look along or across the street.

Usage: ``python benchmarks/synthetic_city.py --cameras 10000 --out /tmp/city10k [--seed 1]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

#: Cameras per km² (a dense city centre's count, public and private cameras together).
CAMERAS_PER_KM2 = 250.0
#: Side of a street block in metres, street to street (centre lines).
BLOCK_M = 100.0
#: Width of a street in metres.
STREET_M = 10.0
#: Area of a unit (neighbourhood) in km².
UNIT_KM2 = 0.5
#: Incidents per camera.
CRIMES_PER_CAMERA = 2.0
#: The city's metric CRS and its south-west corner there.
CRS = "EPSG:32717"
ORIGIN = (772_000.0, 9_960_000.0)
#: Cell size of the DEM in metres.
DEM_CELL_M = 10.0

OPERATORS = np.array(
    [
        "Policía Nacional",
        "policia nacional",
        "ECU 911",
        "ECU-911",
        "Municipio de Quito",
        "Banco Pichincha",
        "Supermaxi",
        "",
        "",
        "",
    ]
)
COMPASS = np.array(["N", "NE", "E", "SE", "S", "SW", "W", "NW"])
CATEGORIES = np.array(["ROBBERY", "ASSAULT", "THEFT", "BURGLARY", "VEHICLE THEFT", "VANDALISM"])


def city_side_m(n_cameras: int, density: float = CAMERAS_PER_KM2) -> float:
    """Side in metres of the square city that holds ``n_cameras`` at ``density`` cameras per km²,
    ``side = 1000 sqrt(n / density)``, rounded up to whole blocks."""
    side = 1000.0 * math.sqrt(n_cameras / density)
    return math.ceil(side / BLOCK_M) * BLOCK_M


def ground_height(x: np.ndarray, y: np.ndarray, side: float) -> np.ndarray:
    """The hillside: flat at 2,800 m in the eastern half, rising westward at up to 15 % with ridges,
    ``z = 2800 + 0.15 w^2 / (2 s) + 8 sin(x / 170) cos(y / 230)`` with ``w`` the distance west of the
    city's middle (0 east of it) and ``s`` half the side, in metres from the city's south-west corner."""
    w = np.maximum(0.0, side / 2 - x)
    half = max(side / 2, 1.0)
    return 2800.0 + 0.15 * w * w / (2 * half) + 8.0 * np.sin(x / 170.0) * np.cos(y / 230.0) * (w > 0)


def generate(n_cameras: int, out: Path, *, seed: int = 1) -> dict[str, object]:
    """Write the synthetic city of ``n_cameras`` cameras to ``out``; return facts about it."""
    import rasterio
    from affine import Affine

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    side = city_side_m(n_cameras)
    nb = int(side // BLOCK_M)
    x0, y0 = ORIGIN
    to_wgs = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)

    # buildings: a 3 x 3 pattern in every block, set back from the street, some lots empty
    half_street = STREET_M / 2
    lot = (BLOCK_M - STREET_M) / 3
    bi, bj, li, lj = np.meshgrid(np.arange(nb), np.arange(nb), np.arange(3), np.arange(3), indexing="ij")
    bi, bj, li, lj = bi.ravel(), bj.ravel(), li.ravel(), lj.ravel()
    keep = rng.random(bi.size) < 0.85
    bi, bj, li, lj = bi[keep], bj[keep], li[keep], lj[keep]
    n_b = bi.size
    w = rng.uniform(0.45, 0.8, n_b) * lot
    h = rng.uniform(0.45, 0.8, n_b) * lot
    cx = bi * BLOCK_M + half_street + (li + 0.5) * lot + rng.uniform(-0.1, 0.1, n_b) * lot
    cy = bj * BLOCK_M + half_street + (lj + 0.5) * lot + rng.uniform(-0.1, 0.1, n_b) * lot
    boxes = shapely.box(x0 + cx - w / 2, y0 + cy - h / 2, x0 + cx + w / 2, y0 + cy + h / 2)
    kind = rng.choice(
        np.array(["house", "apartments", "residential", "yes", "commercial", "retail", "office", "garage"]),
        n_b,
        p=[0.3, 0.2, 0.1, 0.2, 0.08, 0.06, 0.04, 0.02],
    )
    levels = rng.integers(1, 9, n_b)
    tag_pick = rng.random(n_b)
    height = np.where(tag_pick < 0.25, np.char.mod("%.1f", levels * 3.0 + rng.uniform(0, 2, n_b)), None)
    levels_tag = np.where((tag_pick >= 0.25) & (tag_pick < 0.65), levels.astype(str), None)
    buildings = gpd.GeoDataFrame(
        {
            "osm_id": np.char.add("way/", np.arange(1, n_b + 1).astype(str)),
            "building": kind,
            "height": height,
            "building:levels": levels_tag,
        },
        geometry=boxes,
        crs=CRS,
    )
    buildings.to_file(out / "buildings.gpkg", layer="buildings", driver="GPKG", engine="pyogrio")

    # cameras: on the pavement of a random street side, looking along or across the street
    n = n_cameras
    blk_i = rng.integers(0, nb, n)
    blk_j = rng.integers(0, nb, n)
    sidepick = rng.integers(0, 4, n)  # 0 south, 1 north, 2 west, 3 east edge of the block
    along = rng.uniform(half_street + 1, BLOCK_M - half_street - 1, n)
    inset = half_street + rng.uniform(0.5, 2.0, n)  # on the pavement, in front of the buildings
    bx, by = blk_i * BLOCK_M, blk_j * BLOCK_M
    cam_x = np.select(
        [sidepick == 0, sidepick == 1, sidepick == 2], [bx + along, bx + along, bx + inset], bx + BLOCK_M - inset
    )
    cam_y = np.select(
        [sidepick == 0, sidepick == 1, sidepick == 2], [by + inset, by + BLOCK_M - inset, by + along], by + along
    )
    facing_street = np.select([sidepick == 0, sidepick == 1, sidepick == 2], [180.0, 0.0, 270.0], 90.0)
    look = rng.random(n)
    direction = np.where(
        look < 0.6, facing_street, np.where(look < 0.8, facing_street + 90.0, facing_street - 90.0)
    ) + rng.normal(0, 15, n)
    direction = np.mod(np.round(direction), 360).astype(int)
    lon, lat = to_wgs.transform(x0 + cam_x, y0 + cam_y)

    cam_type = rng.choice(np.array(["fixed", "dome", "panning"]), n, p=[0.65, 0.27, 0.08])
    surveillance = rng.choice(np.array(["public", "outdoor", "indoor"]), n, p=[0.4, 0.52, 0.08])
    kind_tag = np.where(rng.random(n) < 0.06, "ALPR", "camera")
    zone = np.where(
        kind_tag == "ALPR",
        "traffic",
        rng.choice(np.array(["street", "shop", "parking", "town", "building", ""]), n),
    )
    mount = rng.choice(np.array(["wall", "pole", "street_lamp", ""]), n, p=[0.5, 0.25, 0.1, 0.15])
    hpick = rng.random(n)
    hval = rng.integers(3, 9, n)
    height_tag = np.where(
        hpick < 0.3,
        hval.astype(str),
        np.where(hpick < 0.4, np.char.add(hval.astype(str), " m"), np.where(hpick < 0.45, "16'", "")),
    )
    dpick = rng.random(n)
    # fixed cameras: degrees mostly, compass points sometimes, missing on about one in eight
    dir_tag = np.where(dpick < 0.78, direction.astype(str), COMPASS[np.round(direction / 45).astype(int) % 8])
    dir_tag = np.where((cam_type == "fixed") & (dpick > 0.88), "", dir_tag)
    dir_tag = np.where((cam_type != "fixed") & (dpick < 0.9), "", dir_tag)
    operator = rng.choice(OPERATORS, n)

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<osm version="0.6" generator="equity benchmarks/synthetic_city.py, seed {seed}">',
    ]
    tags = {
        "man_made": np.full(n, "surveillance"),
        "surveillance": surveillance,
        "surveillance:type": kind_tag,
        "surveillance:zone": zone,
        "camera:type": np.where(kind_tag == "ALPR", "fixed", cam_type),
        "camera:mount": mount,
        "camera:direction": dir_tag,
        "height": height_tag,
        "operator": operator,
    }
    tag_lines = {
        k: np.where(v == "", "", np.char.add(np.char.add(f'    <tag k="{k}" v="', v.astype(str)), '"/>\n'))
        for k, v in tags.items()
    }
    body = np.char.add(
        np.char.add(
            np.char.add(
                np.char.add('  <node id="', np.arange(1, n + 1).astype(str)),
                np.char.add('" lat="', np.char.mod("%.7f", lat)),
            ),
            np.char.add('" lon="', np.char.mod("%.7f", lon)),
        ),
        '">\n',
    )
    for k in tags:
        body = np.char.add(body, tag_lines[k])
    body = np.char.add(body, "  </node>")
    lines.extend(body.tolist())
    lines.append("</osm>")
    (out / "cameras.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # units: square neighbourhoods, more people on the flat eastern half
    nu = max(1, round(side / math.sqrt(UNIT_KM2 * 1e6)))
    us = side / nu
    ui, uj = np.meshgrid(np.arange(nu), np.arange(nu), indexing="ij")
    ui, uj = ui.ravel(), uj.ravel()
    ux, uy = x0 + ui * us, y0 + uj * us
    ubox = shapely.box(ux, uy, ux + us, uy + us)
    flat = (ui + 0.5) * us > side / 2
    population = np.round(rng.lognormal(np.log(8000 * UNIT_KM2), 0.5, ui.size) * np.where(flat, 1.3, 0.7))
    units = gpd.GeoDataFrame(
        {"name": [f"U{i:03d}-{j:03d}" for i, j in zip(ui, uj, strict=True)], "population": population.astype(int)},
        geometry=ubox,
        crs=CRS,
    ).to_crs("EPSG:4326")
    (out / "units.geojson").write_text(units.to_json(), encoding="utf-8")

    # crime: half in hot spots (more of them on the hillside), half spread out
    n_crime = int(CRIMES_PER_CAMERA * n)
    n_hot = max(1, n // 200)
    hot_x = side * rng.beta(1.3, 1.8, n_hot)  # hot spots lean west, up the hill
    hot_y = rng.uniform(0, side, n_hot)
    which = rng.integers(0, n_hot, n_crime)
    spread = rng.random(n_crime) < 0.5
    px = np.where(spread, rng.uniform(0, side, n_crime), hot_x[which] + rng.normal(0, 120, n_crime))
    py = np.where(spread, rng.uniform(0, side, n_crime), hot_y[which] + rng.normal(0, 120, n_crime))
    px, py = np.clip(px, 0, side - 0.01), np.clip(py, 0, side - 0.01)
    clon, clat = to_wgs.transform(x0 + px, y0 + py)
    days = rng.integers(0, 365, n_crime)
    crime = pd.DataFrame(
        {
            "IncidntNum": 100_000_000 + np.arange(n_crime),
            "Category": rng.choice(CATEGORIES, n_crime),
            "Date": (np.datetime64("2024-01-01") + days.astype("timedelta64[D]")).astype(str),
            "X": np.round(clon, 7),
            "Y": np.round(clat, 7),
        }
    )
    crime.to_csv(out / "crime.csv", index=False)

    # the DEM: the hillside at 10 m cells over the city and 500 m around it
    pad = 500.0
    ncell = math.ceil((side + 2 * pad) / DEM_CELL_M)
    centres = -pad + (np.arange(ncell) + 0.5) * DEM_CELL_M
    gx = centres[None, :]
    gy = centres[::-1][:, None]
    dem = ground_height(np.broadcast_to(gx, (ncell, ncell)), np.broadcast_to(gy, (ncell, ncell)), side)
    transform = Affine(DEM_CELL_M, 0.0, x0 - pad, 0.0, -DEM_CELL_M, y0 - pad + ncell * DEM_CELL_M)
    with rasterio.open(
        out / "dem.tif",
        "w",
        driver="GTiff",
        height=ncell,
        width=ncell,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=transform,
        nodata=-9999.0,
        tiled=True,
        compress="deflate",
    ) as dst:
        dst.write(dem.astype(np.float32), 1)

    facts = {
        "cameras": n,
        "seed": seed,
        "side_m": side,
        "area_km2": side * side / 1e6,
        "buildings": int(n_b),
        "units": int(ui.size),
        "crimes": n_crime,
        "crs": CRS,
    }
    (out / "city.json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    t0 = time.perf_counter()
    facts = generate(args.cameras, args.out, seed=args.seed)
    print(json.dumps({**facts, "seconds": round(time.perf_counter() - t0, 2)}))


if __name__ == "__main__":
    main()
