r"""Reading a digital elevation model onto the analysis grid, window by window.

Any raster rasterio reads, in any CRS: a warped virtual dataset (rasterio's ``WarpedVRT``) reprojects and
resamples it (bilinear) to the analysis grid, and only the blocks of the source under the grid are read.

A DEM in tiles (SRTM's .hgt, GeoTIFFs: several files, or a folder of them, :func:`dem_tiles`) is read as one
raster: each tile is checked as a DEM of its own, then the tiles are laid on one grid by a GDAL virtual raster
(VRT) that equity writes itself and holds in memory (:func:`mosaic_vrt`), as ``gdalbuildvrt`` would. A VRT given
as the DEM is still refused (it could read any file, or a URL); this one names only the tiles given. The tiles
must share one CRS (else one sentence names both), one pixel size and one grid, so that every height is a tile's
own; the check of the DEM over the units (:func:`equity.inputs._dem_check`) then runs on the mosaic, and a gap
between tiles under the units is refused like any DEM that does not cover them.

When the DEM is already in the grid's CRS, north up, and no finer than the grid's cells (the usual case: a
projected 1 m to 30 m DEM under a 1 m grid), nothing needs reprojecting, and the bilinear interpolation is
done here (:func:`_bilinear`) from the source window read at its own resolution: GDAL's warper spends about
2 s on each 4,400-cell tile of a large study in its general per-cell transformation, this takes a tenth of
that. It computes what GDAL's bilinear warp computes for such a grid (``tests/test_dem.py`` holds it to
GDAL on windows with edges and nodata holes): with the source pixel coordinate of a cell's centre
``(sx, sy) = S⁻¹ (x, y)`` (``S`` the source's transform, pixel corners at integers), the four pixels around
it, ``i = ⌊sx - ½⌋, i + 1`` and ``j = ⌊sy - ½⌋, j + 1``, weigh ``(1 - fx, fx)`` and ``(1 - fy, fy)`` with
``fx = sx - ½ - i``; pixels that are nodata or beyond the raster's edge are left out and the weights of the
others renormalised,

.. math:: z = \frac{\sum_k w_k z_k}{\sum_k w_k},

and a cell is NaN when its centre lies outside the raster (``0 <= sx < W``, ``0 <= sy < H``), when the
pixel under its centre has no data, or when the weights left sum to less than 10⁻⁶. Two differences, on
purpose: a NaN pixel is no data here even when the file does not declare NaN as its nodata value (GDAL then
takes it for a value, and it spreads to every cell whose four pixels include it); likewise a pixel at or below
:data:`FILL_BELOW` (-10³⁰: no ground is, and GDAL's tools fill float32 rasters with float32's lowest value,
-3.4·10³⁸, often without declaring it); and a cell's height never
depends on the window it is read in, which tiles need (on a window of a few dozen cells at about the DEM's
own resolution, GDAL's warper takes the window's padding for a reduction and widens its kernel).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numba
import numpy as np
from affine import Affine
from pyproj import CRS

from equity._errors import CRSError, InputFileError, InputFormatError
from equity.io._common import GDAL_POLICY, _first_line, check_file

log = logging.getLogger(__name__)


def dem_on_grid(
    path: str | Path, crs: CRS, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Elevations of a DEM on the analysis grid, with NaN where the DEM has no data or does not reach.

    Returns the float32 array and facts about the source: its CRS, resolution, nodata value, and
    ``missing_share``, the share of grid cells without an elevation. A one-off read: the file is closed again
    unless a study of this process holds it open.
    """
    source = DemSource(path)
    held = source.key in _OPEN
    try:
        return source.read(crs, transform, shape)
    finally:
        if not held:
            source.close()


#: Pixels at or below this value are no data, whether the file declares a nodata value or not: no elevation on
#: Earth is near it, and float32's lowest value (-3.4e38, GDAL's usual fill) is far below it. Such a pixel never
#: enters an interpolation; the cells of the study area's check it made no data are counted
#: (``cells_at_or_below_fill`` of :meth:`DemSource.read`).
FILL_BELOW = -1e30

#: float32's lowest value, the fill GDAL writes in float32 rasters (given to GDAL's warper as the source's nodata
#: value when the file declares none).
FLOAT32_FILL = float(np.finfo(np.float32).min)

#: Side of a block of the ground cache, in grid cells (256 KiB of float32 heights a block): small enough that
#: a tile reads little more than its cameras' reach, large enough that GDAL's cost per read stays small.
BLOCK_CELLS = 256

#: Most bytes of ground heights a process keeps in its cache of blocks by default (least recently used blocks go
#: first): the blocks of about one tile's window, so that the next tile in its row finds the blocks of the margin
#: they share; small beside a worker's 0.75 GB tile (256 MB took 0.17 GB more at the peak of a 10,000-camera
#: study in one process, for no gain in time).
CACHE_BYTES = 64 * 2**20

#: The cache of a study analysed many times on the same inputs (its sensitivity runs): every block of the
#: viewsheds' grid is kept up to this size, so that the DEM is read and reprojected once for all the runs.
REUSE_CACHE_BYTES = 1024 * 2**20

_OPEN: dict[tuple, Any] = {}
_BLOCKS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_LOCK = threading.Lock()


#: GDAL's settings while a DEM is opened: those of every file equity has GDAL open (no network, no other file).
NO_NETWORK = GDAL_POLICY

#: GDAL's drivers for rasters that are made of other files or of a network service: a DEM of theirs is refused.
REFUSED_DRIVERS = frozenset(
    {"VRT", "DERIVED", "GTI", "WMS", "WMTS", "WCS", "HTTP", "PLMOSAIC", "EEDAI", "DAAS", "STACTA", "STACIT", "ESRIC"}
)


def _refusal(path: Path, src: Any) -> str | None:
    """Why a DEM opened by GDAL is refused, or None. The access policy: a DEM is a raster file that holds its own
    cells, or a few files beside each other in one folder (a header, a world file, overviews): not a GDAL virtual
    raster (a VRT can read any file as cells, or a URL), not a web service, and nothing read from another folder
    or through one of GDAL's virtual file systems (``/vsi...``)."""
    if src.driver in REFUSED_DRIVERS:
        return (
            f"{path}: a {src.driver} raster reads its cells from other files or from the network, which equity "
            "does not do; give the DEM as a raster file that holds its own cells (a GeoTIFF, made for example "
            "with gdal_translate)."
        )
    folder = path.resolve().parent
    for name in src.files:
        other = Path(name)
        if name.startswith("/vsi") or other.resolve().parent != folder:
            return (
                f"{path}: the raster reads {name}, outside its own folder; equity reads a DEM only from files "
                "beside each other in one folder."
            )
    return None


def _broken_georeference(path: Path, src: Any) -> str | None:
    """Why a DEM's georeferencing cannot place its cells (a pixel of no size, a transform that is not
    invertible or not finite), or None."""
    t = src.transform
    det = t.a * t.e - t.b * t.d
    scale = max(abs(t.a), abs(t.b), abs(t.d), abs(t.e))
    # GDAL cannot invert a transform whose determinant is below 1e-10 of its largest coefficient squared
    if not math.isfinite(det) or abs(det) <= 1e-10 * scale * scale or not all(math.isfinite(v) for v in (t.c, t.f)):
        return (
            f"{path}: the DEM's georeferencing gives its pixels no size (pixel width {t.a:g}, height {t.e:g}); "
            "expected a raster whose pixels have a width and a height on the ground."
        )
    return None


@functools.lru_cache(maxsize=64)
def _check_transformable(path: Path, source_wkt: str, target_wkt: str) -> None:
    """Refuse a DEM whose CRS has no transformation to the study's metric CRS (a local engineering CRS, a CRS
    of another body than the Earth): PROJ finds no coordinate operation between them."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    try:
        Transformer.from_crs(CRS.from_wkt(source_wkt), CRS.from_wkt(target_wkt), always_xy=True)
    except ProjError as err:
        name = CRS.from_wkt(source_wkt).name
        msg = (
            f"{path}: the DEM's CRS ({name}) has no transformation to the study's CRS on the Earth; expected a DEM "
            "georeferenced on the Earth (for example in WGS84 or UTM)."
        )
        raise CRSError(msg) from err


def _open_checked(path: Path) -> Any:
    """One DEM file opened by rasterio, after the checks of equity's access policy (:func:`_refusal`), of its
    georeferencing, CRS and bands."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.Env(**NO_NETWORK):
            src = rasterio.open(path)
    except RasterioIOError as err:
        msg = f"{path}: not a raster that rasterio (GDAL) can read ({str(err).splitlines()[0]})."
        raise InputFileError(msg) from err
    refusal = _refusal(path, src) or _broken_georeference(path, src)
    if refusal is not None:
        src.close()
        raise InputFormatError(refusal)
    if src.crs is None:
        src.close()
        msg = f"{path}: the DEM has no CRS; save it with one (for example its EPSG code)."
        raise CRSError(msg)
    if src.count < 1:
        src.close()
        msg = f"{path}: the raster has no band."
        raise InputFormatError(msg)
    return src


#: The endings of the DEM tiles taken from a folder: SRTM's .hgt (named by their south-west corner, such as
#: N37W123.hgt, which GDAL's SRTMHGT driver needs) and GeoTIFF.
TILE_SUFFIXES = (".hgt", ".tif", ".tiff")


def dem_tiles(spec: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files of a DEM given as one file, several files, or folders of tiles (their .hgt, .tif and .tiff
    files, in name order; other files are left alone). A file named twice is taken once."""
    items = [spec] if isinstance(spec, (str, Path)) else list(spec)
    if not items:
        msg = "--dem names no file."
        raise InputFileError(msg)
    tiles: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in TILE_SUFFIXES)
            if not found:
                zipped = any(f.suffix.lower() == ".zip" for f in p.iterdir())
                msg = f"{p}: a folder with no DEM tile in it; expected .hgt or .tif files" + (
                    " (unzip the .zip files first: equity does not read inside archives)." if zipped else "."
                )
                raise InputFileError(msg)
            tiles += [check_file(f) for f in found]
        else:
            tiles.append(check_file(p))
    seen: set[Path] = set()
    return [t for t in tiles if not (t.resolve() in seen or seen.add(t.resolve()))]  # type: ignore[func-returns-value]


def mosaic_name(spec: Any, tiles: list[Path]) -> str:
    """How messages name a DEM of several tiles: its folder, or its tiles."""
    if isinstance(spec, (str, Path)) and Path(spec).is_dir():
        return f"{spec} (a DEM of {len(tiles)} tiles)"
    names = ", ".join(t.name for t in tiles[:3]) + (f" and {len(tiles) - 3} more" if len(tiles) > 3 else "")
    return f"the DEM of {len(tiles)} tiles ({names})"


#: Largest misalignment of a tile's corner to the mosaic's grid, in pixels, taken for rounding.
ALIGN_TOLERANCE = 1e-6


def mosaic_vrt(tiles: list[Path], sources: list[Any]) -> str:
    r"""The XML of a GDAL virtual raster (VRT) that lays DEM tiles side by side on one grid, as ``gdalbuildvrt``
    does, without GDAL's command-line tools (written here: rasterio has no VRT builder, and osgeo's
    ``gdal.BuildVRT`` is not a dependency).

    The tiles must share one CRS, one pixel size, and one grid (each tile's corner a whole number of pixels from
    the mosaic's, within :data:`ALIGN_TOLERANCE`), so that every height is the tile's own, never resampled. The
    mosaic spans the tiles' union; tile ``k`` with corner ``(x_k, y_k)`` starts at column
    ``(x_k - x_0) / a`` and row ``(y_0 - y_k) / |e|``. Each tile's nodata pixels are left transparent (a
    ``ComplexSource`` with its ``NODATA``), so that a later tile's nodata does not cover an earlier tile's
    heights where they overlap (adjacent SRTM tiles share a row or a column, with the same heights); cells no
    tile covers are NaN (the band is float32 with NaN as its nodata). Raises :class:`CRSError` for tiles in
    different CRSs, naming both, and :class:`InputFormatError` for different pixel sizes or grids.
    """
    from xml.sax.saxutils import escape

    first, ref = tiles[0], sources[0]
    a, e = ref.transform.a, ref.transform.e
    for tile, src in zip(tiles[1:], sources[1:], strict=True):
        if src.crs != ref.crs:
            msg = (
                f"{tile}: the DEM tile is in {src.crs.to_string() or src.crs.to_wkt()[:60]}, while {first.name} is in "
                f"{ref.crs.to_string() or ref.crs.to_wkt()[:60]}; give tiles in one CRS (reproject them first)."
            )
            raise CRSError(msg)
        t = src.transform
        if not (math.isclose(t.a, a, rel_tol=1e-9) and math.isclose(t.e, e, rel_tol=1e-9)):
            msg = (
                f"{tile}: the DEM tile's pixels are {t.a:g} by {-t.e:g}, while {first.name}'s are {a:g} by {-e:g}; "
                "give tiles of one resolution."
            )
            raise InputFormatError(msg)
    for tile, src in zip(tiles, sources, strict=True):
        t = src.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            msg = f"{tile}: the DEM tile is rotated or not north up; give north-up tiles to mosaic."
            raise InputFormatError(msg)
    x0 = min(s.transform.c for s in sources)
    y0 = max(s.transform.f for s in sources)
    places = []
    for tile, src in zip(tiles, sources, strict=True):
        col, row = (src.transform.c - x0) / a, (y0 - src.transform.f) / -e
        if abs(col - round(col)) > ALIGN_TOLERANCE or abs(row - round(row)) > ALIGN_TOLERANCE:
            msg = (
                f"{tile}: the DEM tile's pixels do not line up with {first.name}'s (its corner is {col % 1:.3f} "
                "pixel off their grid); give tiles of one grid."
            )
            raise InputFormatError(msg)
        places.append((round(col), round(row)))
    width = max(c + s.width for (c, _), s in zip(places, sources, strict=True))
    height = max(r + s.height for (_, r), s in zip(places, sources, strict=True))
    parts = [
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
        f"<SRS>{escape(ref.crs.to_wkt())}</SRS>",
        f"<GeoTransform>{x0!r}, {a!r}, 0.0, {y0!r}, 0.0, {e!r}</GeoTransform>",
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>nan</NoDataValue>',
    ]
    for tile, src, (col, row) in zip(tiles, sources, places, strict=True):
        nodata = "" if src.nodata is None else f"<NODATA>{src.nodata!r}</NODATA>"
        parts.append(
            f'<ComplexSource><SourceFilename relativeToVRT="0">{escape(str(tile.resolve()))}</SourceFilename>'
            f"<SourceBand>1</SourceBand>"
            f'<SrcRect xOff="0" yOff="0" xSize="{src.width}" ySize="{src.height}"/>'
            f'<DstRect xOff="{col}" yOff="{row}" xSize="{src.width}" ySize="{src.height}"/>{nodata}</ComplexSource>'
        )
    parts.append("</VRTRasterBand></VRTDataset>")
    return "".join(parts)


def _open_mosaic(tiles: list[Path]) -> Any:
    """The tiles, each checked as a DEM of its own (:func:`_open_checked`), opened as one mosaic through a GDAL
    virtual raster (:func:`mosaic_vrt`) held in memory."""
    import rasterio
    from rasterio.errors import RasterioIOError

    sources = []
    try:
        for tile in tiles:
            sources.append(_open_checked(tile))
        xml = mosaic_vrt(tiles, sources)
    finally:
        for src in sources:
            src.close()
    try:
        with rasterio.Env(**NO_NETWORK):
            return rasterio.open(xml)
    except RasterioIOError as err:
        msg = f"{tiles[0]}: its tiles cannot be read as one mosaic ({_first_line(err)})."
        raise InputFileError(msg) from err


class DemSource:
    """A digital elevation model, opened once per process and read onto grids of the analysis.

    A study holds one: its check of the DEM, its terrain per unit and every tile of its viewsheds read through
    the same open dataset (rasterio's), and a study analysed many times on the same loaded inputs (the
    sensitivity runs) reads each part of the DEM once. Pickled, it is its path: a worker process that
    receives it opens the file once for all its tiles.

    :meth:`ground` reads a tile's window through a cache of blocks of :data:`BLOCK_CELLS` cells a side,
    aligned to the multiples of the cell size (the study's grids are snapped to them, :func:`equity.visibility.
    surface.snap_grid`), so that the heights of a cell are read once and are the same in every window, tile
    and analysis that holds it (the merge of tiles is exact only if they are). The cache holds at most
    ``cache_bytes`` per process (:data:`CACHE_BYTES`; :data:`REUSE_CACHE_BYTES` for a study with sensitivity
    runs); a block that was dropped is read again when needed, with the same heights.
    """

    def __init__(self, path: str | Path | Sequence[str | Path], cache_bytes: int = CACHE_BYTES) -> None:
        self.tiles = dem_tiles(path)
        self.path: Any = self.tiles[0] if len(self.tiles) == 1 else mosaic_name(path, self.tiles)
        self.cache_bytes = cache_bytes
        key: list[Any] = []
        for tile in self.tiles:
            stat = tile.stat()
            key += [str(tile.resolve()), stat.st_size, stat.st_mtime_ns]
        self.key = tuple(key)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "tiles": self.tiles, "key": self.key, "cache_bytes": self.cache_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _dataset(self) -> Any:
        """The open dataset of this process (opened at the first call)."""
        src = _OPEN.get(self.key)
        if src is not None:
            return src
        if len(self.tiles) > 1:
            src = _open_mosaic(self.tiles)
            _OPEN[self.key] = src
            return src
        src = _open_checked(self.tiles[0])
        _OPEN[self.key] = src
        return src

    def close(self) -> None:
        """Close this process's dataset and drop its cached blocks."""
        with _LOCK:
            src = _OPEN.pop(self.key, None)
            for k in [k for k in _BLOCKS if k[0] == self.key]:
                del _BLOCKS[k]
        if src is not None:
            src.close()

    def read(self, crs: CRS, transform: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, dict[str, Any]]:
        """The DEM on one grid (see :func:`dem_on_grid`); raises when it has no elevation anywhere on it."""
        with _LOCK:
            src = self._dataset()
            ground = self._grid(src, crs, transform, shape)
            fill = self._grid(src, crs, transform, shape, count_fill=True)
        meta = {
            "crs": src.crs.to_string(),
            "resolution": [float(src.res[0]), float(src.res[1])],
            "nodata": None if src.nodata is None else float(src.nodata),
            "size": [src.height, src.width],
        }
        meta["cells_at_or_below_fill"] = fill
        if len(self.tiles) > 1:  # a mosaic: its tiles, in the order they are laid (a later one on top)
            meta["tiles"] = [t.name for t in self.tiles]
        missing = ~np.isfinite(ground)
        meta["missing_share"] = float(missing.mean())
        if missing.all():
            msg = (
                f"{self.path}: the DEM has no elevation anywhere in the study area (only nodata, or it lies elsewhere)."
            )
            raise InputFormatError(msg)
        return ground, meta

    def ground(
        self,
        crs: CRS,
        transform: Affine,
        shape: tuple[int, int],
        *,
        keep: bool = True,
        need: np.ndarray | None = None,
    ) -> np.ndarray:
        """The DEM on a window of a grid snapped to multiples of its cell size, NaN where it has no data.

        Assembled from blocks, cached unless ``keep`` is False (a grid read once, such as the terrain's, is
        then read whole). ``need`` (a boolean array of the window's shape) says which cells are needed: blocks
        with no needed cell are not read and left NaN.
        """
        if not keep and need is None:
            with _LOCK:
                return self._grid(self._dataset(), crs, transform, shape)
        cell = float(transform.a)
        col0 = round(transform.c / cell)
        row0 = round(-transform.f / cell)
        out = np.full(shape, np.nan, np.float32)
        wkt = crs.to_wkt()
        b = BLOCK_CELLS
        for bi in range(row0 // b, (row0 + shape[0] - 1) // b + 1):
            r0, r1 = max(row0, bi * b), min(row0 + shape[0], (bi + 1) * b)
            for bj in range(col0 // b, (col0 + shape[1] - 1) // b + 1):
                c0, c1 = max(col0, bj * b), min(col0 + shape[1], (bj + 1) * b)
                if need is not None and not need[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0].any():
                    continue
                block = self._block(wkt, crs, cell, bi, bj, keep)
                out[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = block[
                    r0 - bi * b : r1 - bi * b, c0 - bj * b : c1 - bj * b
                ]
        return out

    def _block(self, wkt: str, crs: CRS, cell: float, bi: int, bj: int, keep: bool) -> np.ndarray:
        key = (self.key, wkt, cell, bi, bj)
        with _LOCK:
            block = _BLOCKS.get(key)
            if block is not None:
                _BLOCKS.move_to_end(key)
                return block
            b = BLOCK_CELLS
            transform = Affine(cell, 0.0, bj * b * cell, 0.0, -cell, -bi * b * cell)
            block = self._grid(self._dataset(), crs, transform, (b, b))
            if not keep:
                return block
            _BLOCKS[key] = block
            while len(_BLOCKS) * block.nbytes > self.cache_bytes:
                _BLOCKS.popitem(last=False)
        return block

    def _grid(self, src: Any, crs: CRS, transform: Affine, shape: tuple[int, int], *, count_fill: bool = False) -> Any:
        """The DEM on a grid; with ``count_fill``, the number of its cells made no data by :data:`FILL_BELOW`
        (:func:`_fill_cells`) instead."""
        from rasterio.errors import RasterioError

        if count_fill:
            try:
                return _fill_cells(src, crs, transform, shape)
            except RasterioError as err:
                raise self._damaged(err) from err
        if src.crs.is_geographic:
            log.info("%s is in a geographic CRS (%s); it is reprojected to %s", self.path, src.crs, crs)
        _check_transformable(self.path, src.crs.to_wkt(), crs.to_wkt())
        try:
            direct = _direct_window(src, crs, transform, shape)
            if direct is not None:
                return _read_direct(src, transform, shape, *direct)
            return _read_warped(src, crs, transform, shape)
        except RasterioError as err:  # a damaged file: its header reads, its cells do not
            raise self._damaged(err) from err

    def _damaged(self, err: Exception) -> InputFileError:
        cause = err.__cause__ or err.__context__ or err
        msg = f"{self.path}: the DEM's cells cannot be read: the file is damaged or cut short ({_first_line(cause)})."
        return InputFileError(msg)


def _read_warped(src: Any, crs: CRS, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """The DEM on the grid through GDAL's warper (any CRS, any resolution)."""
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    with WarpedVRT(
        src,
        crs=crs.to_wkt(),
        transform=transform,
        width=shape[1],
        height=shape[0],
        resampling=Resampling.bilinear,
        src_nodata=_warp_nodata(src),
        nodata=np.nan,
        dtype="float32",
    ) as vrt:
        data = vrt.read(1, masked=True)
    out = np.asarray(data.filled(np.nan), dtype=np.float32)
    out[out <= FILL_BELOW] = np.nan  # a fill other than float32's lowest that the warper took for a value
    return out


def _warp_nodata(src: Any) -> float | None:
    """The source's nodata value for GDAL's warper: the declared one, else float32's lowest value for a
    floating-point raster (:data:`FLOAT32_FILL`), so that the warper leaves GDAL's usual fill out of its
    interpolation instead of mixing it into the heights around it."""
    if src.nodata is not None:
        return src.nodata
    return FLOAT32_FILL if np.issubdtype(np.dtype(src.dtypes[0]), np.floating) else None


def _fill_cells(src: Any, crs: CRS, transform: Affine, shape: tuple[int, int]) -> int:
    """How many cells of a grid have, under their centre, a pixel that is no data only by :data:`FILL_BELOW`
    (a floating-point raster that declares no nodata value at or below it): counted with GDAL's nearest
    resampling, without nodata."""
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    if not np.issubdtype(np.dtype(src.dtypes[0]), np.floating):
        return 0
    if src.nodata is not None and not (math.isnan(src.nodata) or src.nodata > FILL_BELOW):
        return 0  # the file declares its fill: those pixels are no data by the file's own word
    with WarpedVRT(
        src,
        crs=crs.to_wkt(),
        transform=transform,
        width=shape[1],
        height=shape[0],
        resampling=Resampling.nearest,
        dtype="float64",
    ) as vrt:
        data = vrt.read(1, masked=True)
    return int(np.count_nonzero(~np.ma.getmaskarray(data) & (np.asarray(data.data) <= FILL_BELOW)))


def _direct_window(
    src: Any, crs: CRS, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The source pixel coordinates of the grid's cell centres along its columns and rows, ``sx`` and ``sy``
    (pixel corners at integers), when the DEM can be interpolated without GDAL's warper: same CRS, both
    north up without rotation, the source's pixels no smaller than the grid's cells (GDAL widens its
    bilinear kernel when it shrinks a raster). None otherwise: the warper is used."""
    s = src.transform
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        return None
    if s.b != 0 or s.d != 0 or s.a <= 0 or s.e >= 0:
        return None
    if s.a < transform.a or -s.e < -transform.e:
        return None
    try:
        same = CRS.from_user_input(src.crs.to_wkt()) == crs
    except Exception:  # a CRS pyproj does not parse: let GDAL decide
        return None
    if not same:
        return None
    cols = transform.c + (np.arange(shape[1]) + 0.5) * transform.a
    rows = transform.f + (np.arange(shape[0]) + 0.5) * transform.e
    return (cols - s.c) / s.a, (rows - s.f) / s.e


def _read_direct(src: Any, transform: Affine, shape: tuple[int, int], sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """The DEM on the grid by :func:`_bilinear` from the source window under it, read at its resolution."""
    from rasterio.windows import Window

    height, width = src.height, src.width
    out = np.full(shape, np.nan, np.float32)
    inside_x = np.flatnonzero((sx >= 0) & (sx <= width))
    inside_y = np.flatnonzero((sy >= 0) & (sy <= height))
    if not len(inside_x) or not len(inside_y):
        return out
    i0 = max(0, math.floor(sx[inside_x[0]] - 0.5))
    i1 = min(width, math.floor(sx[inside_x[-1]] - 0.5) + 2)
    j0 = max(0, math.floor(sy[inside_y[0]] - 0.5))
    j1 = min(height, math.floor(sy[inside_y[-1]] - 0.5) + 2)
    data = src.read(1, window=Window(i0, j0, i1 - i0, j1 - j0), masked=True)
    values = np.asarray(data.data, dtype=np.float64)
    valid = ~np.ma.getmaskarray(data) & np.isfinite(values) & (values > FILL_BELOW)
    _bilinear(values, valid, sx, sy, i0, j0, width, height, out)
    return out


@numba.njit(cache=True, nogil=True)
def _bilinear(
    values: np.ndarray,
    valid: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    i0: int,
    j0: int,
    width: int,
    height: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Bilinear interpolation of ``values`` (a window of the source whose first pixel is ``(j0, i0)``;
    ``valid`` False where it has no data: nodata, NaN, at or below :data:`FILL_BELOW`) at the source pixel
    coordinates ``sx[c]``, ``sy[r]``, into ``out[r, c]``: see the module's docstring. Cells whose centre is
    outside the raster (``width`` by ``height`` pixels) are left as they are."""
    nr, nc = values.shape
    for r in range(out.shape[0]):
        y = sy[r]
        # the pixel under the centre, as GDAL's warper finds it (a centre on a pixel's edge is in the next)
        under_r = math.floor(y + 1e-10)
        if y < 0 or under_r >= height:
            continue
        under_r = min(under_r - j0, nr - 1)
        j = math.floor(y - 0.5)
        fy = y - 0.5 - j
        j -= j0
        for c in range(out.shape[1]):
            x = sx[c]
            under_c = math.floor(x + 1e-10)
            if x < 0 or under_c >= width:
                continue
            if not valid[under_r, min(under_c - i0, nc - 1)]:
                continue  # the pixel under the cell's centre has no data: neither has the cell
            i = math.floor(x - 0.5)
            fx = x - 0.5 - i
            i -= i0
            acc = 0.0
            weight = 0.0
            for dj in range(2):
                jj = j + dj
                wy = fy if dj else 1.0 - fy
                if jj < 0 or jj >= nr:
                    continue
                for di in range(2):
                    ii = i + di
                    wx = fx if di else 1.0 - fx
                    if ii < 0 or ii >= nc or not valid[jj, ii]:
                        continue
                    acc += wx * wy * values[jj, ii]
                    weight += wx * wy
            if weight >= 1e-6:
                out[r, c] = acc / weight
