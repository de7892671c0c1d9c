"""Reading a raster of residents per cell (a WorldPop or GHSL GeoTIFF, in any CRS) for the zonal sums of
:func:`equity.population.population_from_raster`.

A population file is told a raster by its content (a TIFF's first bytes, :func:`is_population_raster`), like
every other input. The window of the raster under the units' bounding box is read at its own cells, never
resampled (resampling moves residents across unit edges and changes the total): the units are projected to the
raster's CRS instead.

Counts or density
-----------------
A population raster holds either residents per cell (counts: WorldPop's ``ppp`` files, "people per pixel";
GHSL's ``GHS_POP``, "number of people per cell") or residents per unit of area (density: WorldPop's ``pph``,
people per hectare). A sum of densities is no count, so the kind is decided before anything is summed
(:func:`raster_kind`):

- a file whose name or band unit says density (``pph``, ``density``, ``per km``, ``/km2``, ``/ha``) is refused
  unless ``density`` (``--population-density km2`` or ``ha``) gives its unit; each cell is then turned into a
  count with its area on the ellipsoid (:func:`equity.population.counts_from_density`, by the caller);
- a file whose name says counts (``ppp``, ``GHS_POP``) is read as counts, and ``density`` given with it is
  refused as a contradiction;
- any other file is read as counts, and that assumption is recorded (``counts_assumed`` in the manifest).

The year of the estimate is ``year`` (``--population-year``), else read from the file name (``ppp_2020``,
``GHS_POP_E2020``); the facts record where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS

from equity._errors import CRSError, InputError, InputFileError, InputFormatError
from equity.io._common import GDAL_POLICY, SourceFile, _first_line, check_file

#: The first bytes of a TIFF (little- and big-endian) and of a BigTIFF: a GeoTIFF is a TIFF.
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

#: Most cells of a population raster read at once (the window under the units' bounding box): about 17 bytes a
#: cell are held while they are summed (values, coverage, flags), 0.85 GB at this bound; a 100 m raster over a
#: metropolitan area of 100 km by 100 km is 1,000,000 cells.
MAX_WINDOW_CELLS = 50_000_000

#: The units of a density raster ``--population-density`` takes, in m² (residents per km², per hectare).
DENSITY_UNITS = {"km2": 1e-6, "ha": 1e-4}

#: File names of rasters of counts per cell: WorldPop "people per pixel", GHSL's population grid.
COUNT_NAMES = re.compile(r"(?:^|[_\-.])ppp(?:[_\-.]|$)|ghs[_\-]?pop", re.IGNORECASE)

#: File names and band units of density rasters: WorldPop "people per hectare", or a density said in words.
DENSITY_NAMES = re.compile(r"(?:^|[_\-.])pph(?:[_\-.]|$)|densit|per[_\- ]?km|per[_\- ]?ha|/\s*(?:km|ha)", re.IGNORECASE)

#: The year of the estimate in a WorldPop or GHSL file name: ``ppp_2020``, ``pph_2015``, ``GHS_POP_E2020``.
YEAR_IN_NAME = re.compile(r"(?:pp[ph]_|ghs_pop_[ep])((?:19|20)\d\d)(?!\d)", re.IGNORECASE)


def is_population_raster(path: str | Path | SourceFile) -> bool:
    """Whether the population file is a raster (its first bytes a TIFF's), else a vector layer."""
    with open_population(path) as source:
        return source is None


@contextmanager
def open_population(path: str | Path | SourceFile) -> Iterator[SourceFile | None]:
    """The population file, opened once and told a raster or a vector layer by its first bytes: None for a raster
    (a TIFF; rasterio opens it by its path, :func:`read_population_raster`), else the open
    :class:`~equity.io._common.SourceFile` that the vector layer's reader reads from the same handle.

    Told here rather than by :class:`~equity.io._common.SourceFile`'s formats, which are those of the vector and
    OSM readers that every other layer shares (a TIFF is an unknown format to all of them)."""
    if getattr(path, "in_memory", False):  # a GeoDataFrame given to the study (equity.io.frames): a vector layer
        yield path  # type: ignore[misc]
        return
    p = check_file(path)
    with p.open("rb") as handle:
        if handle.read(4) in TIFF_MAGIC:
            yield None
            return
        handle.seek(0)
        source = SourceFile(p, handle)
        try:
            yield source
        finally:
            if source._tmpdir is not None:
                source._tmpdir.cleanup()


def year_from_name(path: str | Path) -> int | None:
    """The year of a WorldPop or GHSL file's estimate, from its name (``ppp_2020``, ``GHS_POP_E2020``), or None."""
    found = YEAR_IN_NAME.search(Path(path).name)
    return int(found.group(1)) if found else None


def raster_kind(path: Path, band_unit: str, density: str | None) -> tuple[str, bool]:
    """Whether the raster holds counts or a density, and whether that was assumed: ``("counts", assumed)`` or
    ``("density per <unit>", False)``. Raises :class:`InputError` for a density raster without ``density``,
    and for ``density`` given with a raster whose name says counts (see the module's docstring)."""
    name = path.name
    says_density = bool(DENSITY_NAMES.search(name) or DENSITY_NAMES.search(band_unit))
    says_counts = bool(COUNT_NAMES.search(name))
    if density is not None:
        if density not in DENSITY_UNITS:
            msg = f"--population-density must be one of {', '.join(DENSITY_UNITS)}, not {density!r}."
            raise InputError(msg)
        if says_counts and not says_density:
            msg = (
                f"{path}: its name says it holds residents per cell (WorldPop 'ppp' or GHSL 'GHS_POP'), yet "
                f"--population-density says residents per {density}; drop --population-density for a raster of counts."
            )
            raise InputError(msg)
        return f"density per {density}", False
    if says_density:
        said = f"its band's unit is {band_unit!r}" if DENSITY_NAMES.search(band_unit) else "its name says so"
        msg = (
            f"{path}: a raster of residents per unit of area (a density: {said}), whose cells cannot be summed as "
            "counts; give its unit with --population-density km2 or --population-density ha (WorldPop 'pph' files "
            "are per hectare), or give a raster of counts per cell (WorldPop 'ppp', GHSL 'GHS_POP')."
        )
        raise InputError(msg)
    return "counts", not says_counts


@dataclass(frozen=True)
class RasterWindow:
    """The cells of a population raster under the units' bounding box, as read.

    Attributes
    ----------
    values : numpy.ndarray
        The cells' values (float64), 0 where ``valid`` is False: residents per cell, or for a density raster
        (``meta["kind"]``) residents per km² or hectare, which :func:`equity.population.counts_from_density` turns
        into counts.
    valid : numpy.ndarray
        False where the cell has no data: the declared nodata value, NaN, or a negative value.
    transform : affine.Affine
        The window's transform.
    crs : pyproj.CRS
        The raster's CRS.
    meta : dict
        Facts for the manifest: file, format, CRS, resolution, size, nodata, kind (counts or density), whether
        counts were assumed, year and where it came from, the negative cells set to no data.
    """

    values: np.ndarray
    valid: np.ndarray
    transform: Affine
    crs: CRS
    meta: dict[str, Any]


def read_population_raster(
    path: str | Path,
    bounds: tuple[float, float, float, float],
    bounds_crs: CRS,
    *,
    density: str | None = None,
    year: int | None = None,
) -> RasterWindow:
    """Read the window of a population raster under ``bounds`` (the units' bounding box in ``bounds_crs``), in
    whole cells of the raster, with a margin of one cell.

    Raises
    ------
    InputFileError
        When the file is not a raster GDAL reads, or its cells cannot be read (damaged).
    InputFormatError
        When it is not a single-file GeoTIFF, is rotated, or does not reach the units.
    CRSError
        When it has no CRS.
    InputError
        For a density raster without ``density`` (:func:`raster_kind`).
    """
    import rasterio
    from rasterio.errors import RasterioError, RasterioIOError
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window

    p = check_file(path)
    try:
        with rasterio.Env(**GDAL_POLICY), rasterio.open(p) as src:
            if src.driver != "GTiff":
                msg = f"{p}: a {src.driver} raster; expected a GeoTIFF of residents per cell (WorldPop, GHSL)."
                raise InputFormatError(msg)
            if src.crs is None:
                msg = f"{p}: the population raster has no CRS; save it with one (WorldPop and GHSL files carry it)."
                raise CRSError(msg)
            t = src.transform
            if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
                msg = (
                    f"{p}: the population raster is rotated or not north up (transform {tuple(t)[:6]}); expected "
                    "a north-up GeoTIFF (warp it north up with nearest-neighbour sums, not by resampling counts)."
                )
                raise InputFormatError(msg)
            crs = CRS.from_wkt(src.crs.to_wkt())
            band_unit = src.units[0] or ""
            kind, assumed = raster_kind(p, band_unit, density)
            named_year = year_from_name(p)
            x0, y0, x1, y1 = transform_bounds(bounds_crs, crs, *bounds, densify_pts=21)
            inv = ~t
            c0, r0 = inv @ (x0, y1)
            c1, r1 = inv @ (x1, y0)
            col0, row0 = max(0, int(np.floor(c0)) - 1), max(0, int(np.floor(r0)) - 1)
            col1, row1 = min(src.width, int(np.ceil(c1)) + 1), min(src.height, int(np.ceil(r1)) + 1)
            if col1 <= col0 or row1 <= row0:
                covers = tuple(round(v, 4) for v in src.bounds)
                msg = (
                    f"{p}: the population raster does not reach the units (it covers {covers} in {crs.name}, the "
                    f"units {tuple(round(v, 4) for v in (x0, y0, x1, y1))}); give the raster of their area."
                )
                raise InputFormatError(msg)
            cells = (col1 - col0) * (row1 - row0)
            if cells > MAX_WINDOW_CELLS:
                msg = (
                    f"{p}: the population raster holds {cells:,} cells under the units' bounding box, more than the "
                    f"{MAX_WINDOW_CELLS:,} equity sums at once; give a coarser raster (WorldPop and GHSL publish "
                    "100 m and 1 km grids)."
                )
                raise InputFormatError(msg)
            window = Window(col0, row0, col1 - col0, row1 - row0)
            data = src.read(1, window=window, masked=True)
            win_t = t @ Affine.translation(col0, row0)
            meta = {
                "source": "raster zonal sums",
                "file": str(p),
                "format": "GeoTIFF",
                "crs": src.crs.to_string(),
                "resolution": [float(t.a), float(-t.e)],
                "size": [src.height, src.width],
                "window": [row0, col0, row1 - row0, col1 - col0],
                "nodata": None if src.nodata is None else float(src.nodata),
                "band_unit": band_unit or None,
                "kind": kind,
                "counts_assumed": assumed,
                "year": year if year is not None else named_year,
                "year_from": "--population-year" if year is not None else ("file name" if named_year else None),
            }
    except RasterioIOError as err:
        msg = f"{p}: not a raster that rasterio (GDAL) can read ({_first_line(err)})."
        raise InputFileError(msg) from err
    except RasterioError as err:
        msg = (
            f"{p}: the population raster's cells cannot be read: the file is damaged or cut short ({_first_line(err)})."
        )
        raise InputFileError(msg) from err
    values = np.asarray(data.data, dtype=np.float64)
    valid = ~np.ma.getmaskarray(data) & np.isfinite(values)
    negative = valid & (values < 0)
    meta["negative_cells_as_nodata"] = int(negative.sum())
    valid &= ~negative
    values = np.where(valid, values, 0.0)
    return RasterWindow(values=values, valid=valid, transform=win_t, crs=crs, meta=meta)
