"""Writes the recorded answers of the made-up town "Villa Muestra, Ecuador" (see README.md).

Run once by hand (``python tests/data/fetch/make_town.py``); the tests read the JSON files it wrote, not this
script. Every name, id and coordinate is invented; the shapes are those of Nominatim's and Overpass's JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
COPYRIGHT = "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL."
GENERATOR = "Overpass API 0.7.62.5 1bd436f1"

#: The town: 0.020 deg of longitude by 0.015 deg of latitude (about 2.2 km by 1.7 km) south of the equator.
TOWN = (-78.520, -0.230, -78.500, -0.215)


def answer(elements: list[dict], stamp: str = "2025-03-14T09:26:53Z") -> dict:
    return {
        "version": 0.6,
        "generator": GENERATOR,
        "osm3s": {"timestamp_osm_base": stamp, "copyright": COPYRIGHT},
        "elements": elements,
    }


class Ids:
    def __init__(self, start: int) -> None:
        self.next = start

    def __call__(self) -> int:
        self.next += 1
        return self.next


node_id, way_id = Ids(31000000), Ids(41000000)


def ring(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    w, s, e, n = box
    return [(w, s), (e, s), (e, n), (w, n)]


def boundary(rel_id: int, box, level: str, name: str, extra: dict | None = None):
    """A boundary relation whose outline is two member ways (tagged as mappers tag them) and its nodes."""
    corners = ring(box)
    nodes = [{"type": "node", "id": node_id(), "lat": lat, "lon": lon} for lon, lat in corners]
    ids = [n["id"] for n in nodes]
    way_tags = {"boundary": "administrative", "admin_level": level}
    ways = [
        {"type": "way", "id": way_id(), "nodes": [ids[0], ids[1], ids[2]], "tags": way_tags},
        {"type": "way", "id": way_id(), "nodes": [ids[2], ids[3], ids[0]], "tags": way_tags},
    ]
    tags = {"type": "boundary", "boundary": "administrative", "admin_level": level, "name": name, **(extra or {})}
    members = [{"type": "way", "ref": w["id"], "role": "outer"} for w in ways]
    relation = {"type": "relation", "id": rel_id, "members": members, "tags": tags}
    return nodes, ways, relation


def area_way(box, tags: dict):
    corners = ring(box)
    nodes = [{"type": "node", "id": node_id(), "lat": lat, "lon": lon} for lon, lat in corners]
    ids = [n["id"] for n in nodes]
    return nodes, {"type": "way", "id": way_id(), "nodes": [*ids, ids[0]], "tags": tags}


def line_way(points, tags: dict):
    nodes = [{"type": "node", "id": node_id(), "lat": lat, "lon": lon} for lon, lat in points]
    return nodes, {"type": "way", "id": way_id(), "nodes": [n["id"] for n in nodes], "tags": tags}


def collect(parts) -> list[dict]:
    nodes, ways, relations = [], [], []
    for part_nodes, part_ways, part_relation in parts:
        nodes += part_nodes
        ways += part_ways
        relations += [part_relation] if part_relation else []
    return nodes + ways + relations


def main() -> None:
    w, s, e, n = TOWN
    mid_lon, mid_lat = (w + e) / 2, (s + n) / 2
    boundaries = [
        # the country and the region are not in the answer: Overpass selects a relation by its members, and no
        # member of theirs lies in the town
        boundary(1234567, TOWN, "8", "Villa Muestra", {"wikidata": "Q0"}),
        boundary(120010, (w, s, mid_lon, n), "9", "San José"),
        boundary(120011, (mid_lon, s, e, n), "9", "Santa Ana"),
        boundary(120020, (w, mid_lat, mid_lon, n), "10", "La Loma"),
        boundary(120021, (mid_lon, mid_lat, e, n), "10", "El Centro"),
        boundary(120022, (w, s, mid_lon, mid_lat), "10", "La Ribera"),
        boundary(120023, (mid_lon, s, e, mid_lat), "10", "Los Pinos"),
        # a neighbour that touches the town's eastern edge, and one that overlaps it by a sliver in the south
        boundary(120024, (e, s, e + 0.01, mid_lat), "10", "Barrio Vecino"),
        boundary(120025, (w, s - 0.01025, mid_lon, s + 0.00005), "10", "El Bajo"),
    ]
    (HERE / "overpass_town_boundaries.json").write_text(json.dumps(answer(collect(boundaries)), indent=1) + "\n")

    nominatim = [
        {
            "place_id": 301400001,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
            "osm_type": "relation",
            "osm_id": 1234567,
            "lat": str(mid_lat),
            "lon": str(mid_lon),
            "class": "boundary",
            "type": "administrative",
            "place_rank": 16,
            "importance": 0.41,
            "addresstype": "town",
            "name": "Villa Muestra",
            "display_name": "Villa Muestra, Pichincha, Ecuador",
            "boundingbox": [str(s), str(n), str(w), str(e)],
            "geojson": {"type": "Polygon", "coordinates": [[[x, y] for x, y in [*ring(TOWN), ring(TOWN)[0]]]]},
        }
    ]
    (HERE / "nominatim_town.json").write_text(json.dumps(nominatim, indent=1, ensure_ascii=False) + "\n")

    b1 = area_way((-78.5135, -0.2210, -78.5131, -0.2206), {"building": "apartments", "building:levels": "5"})
    b2 = area_way((-78.5050, -0.2260, -78.5046, -0.2255), {"building": "house", "height": "6.5"})
    b3 = area_way((-78.5100, -0.2200, -78.5094, -0.2195), {"building": "church", "name": "Iglesia de San José"})
    outer = area_way((-78.5170, -0.2280, -78.5160, -0.2270), {})
    inner = area_way((-78.5167, -0.2277, -78.5163, -0.2273), {})
    courtyard = {
        "type": "relation",
        "id": 130001,
        "members": [
            {"type": "way", "ref": outer[1]["id"], "role": "outer"},
            {"type": "way", "ref": inner[1]["id"], "role": "inner"},
        ],
        "tags": {"type": "multipolygon", "building": "school", "name": "Escuela Fiscal 12"},
    }
    kiosk = {"type": "node", "id": node_id(), "lat": -0.2201, "lon": -78.5111, "tags": {"building": "kiosk"}}
    elements = (
        b1[0] + b2[0] + b3[0] + outer[0] + inner[0] + [kiosk] + [b1[1], b2[1], b3[1], outer[1], inner[1], courtyard]
    )
    (HERE / "overpass_town_buildings.json").write_text(json.dumps(answer(elements), indent=1) + "\n")

    primary = line_way(
        [(w, mid_lat), (mid_lon, mid_lat), (e, mid_lat)],
        {"highway": "primary", "name": "Avenida Central", "ref": "E35"},
    )
    residential = line_way(
        [(mid_lon, s), (mid_lon, mid_lat), (mid_lon, n)], {"highway": "residential", "name": "Calle 1"}
    )
    footway = line_way([(-78.514, -0.221), (-78.512, -0.2195)], {"highway": "footway", "surface": "paving_stones"})
    pedestrian = area_way((-78.5125, -0.2205, -78.5118, -0.2199), {"highway": "pedestrian", "area": "yes"})
    stop = {
        "type": "node",
        "id": node_id(),
        "lat": -0.2225,
        "lon": -78.515,
        "tags": {"highway": "bus_stop", "name": "Parada Central"},
    }
    elements = (
        primary[0]
        + residential[0]
        + footway[0]
        + pedestrian[0]
        + [stop]
        + [primary[1], residential[1], footway[1], pedestrian[1]]
    )
    (HERE / "overpass_town_streets.json").write_text(
        json.dumps(answer(elements, "2025-03-14T09:27:40Z"), indent=1) + "\n"
    )

    residential_land = area_way((-78.519, -0.229, -78.511, -0.223), {"landuse": "residential", "residential": "urban"})
    park = area_way((-78.508, -0.221, -78.504, -0.218), {"leisure": "park", "name": "Parque La Alameda"})
    commercial = area_way((-78.509, -0.2245, -78.505, -0.2230), {"landuse": "commercial"})
    elements = residential_land[0] + park[0] + commercial[0] + [residential_land[1], park[1], commercial[1]]
    (HERE / "overpass_town_landuse.json").write_text(json.dumps(answer(elements), indent=1) + "\n")
    (HERE / "overpass_empty.json").write_text(json.dumps(answer([]), indent=1) + "\n")


if __name__ == "__main__":
    main()
