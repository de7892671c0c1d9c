"""Reading a digital elevation model onto the analysis grid, window by window.

Any raster rasterio reads, in any CRS: a warped virtual dataset (rasterio's ``WarpedVRT``) reprojects and
resamples it (bilinear) to the analysis grid, and only the blocks of the source under the grid are read.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS

from equity._errors import CRSError, InputFileError, InputFormatError
from equity.io._common import _first_line, check_file

log = logging.getLogger(__name__)


def dem_on_grid(
    path: str | Path, crs: CRS, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Elevations of a DEM on the analysis grid, with NaN where the DEM has no data or does not reach.

    Returns the float32 array and facts about the source: its CRS, resolution, nodata value, and
    ``missing_share``, the share of grid cells without an elevation.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError, RasterioIOError
    from rasterio.vrt import WarpedVRT

    p = check_file(path)
    try:
        src = rasterio.open(p)
    except RasterioIOError as err:
        msg = f"{p}: not a raster that rasterio (GDAL) can read ({str(err).splitlines()[0]})."
        raise InputFileError(msg) from err
    with src:
        if src.crs is None:
            msg = f"{p}: the DEM has no CRS; save it with one (for example its EPSG code)."
            raise CRSError(msg)
        if src.count < 1:
            msg = f"{p}: the raster has no band."
            raise InputFormatError(msg)
        meta = {
            "crs": src.crs.to_string(),
            "resolution": [float(src.res[0]), float(src.res[1])],
            "nodata": None if src.nodata is None else float(src.nodata),
            "size": [src.height, src.width],
        }
        if src.crs.is_geographic:
            log.info("%s is in a geographic CRS (%s); it is reprojected to %s", p, src.crs, crs)
        try:
            with WarpedVRT(
                src,
                crs=crs.to_wkt(),
                transform=transform,
                width=shape[1],
                height=shape[0],
                resampling=Resampling.bilinear,
                src_nodata=src.nodata,
                nodata=np.nan,
                dtype="float32",
            ) as vrt:
                data = vrt.read(1, masked=True)
        except RasterioError as err:  # a damaged file: its header reads, its cells do not
            cause = err.__cause__ or err.__context__ or err
            msg = f"{p}: the DEM's cells cannot be read: the file is damaged or cut short ({_first_line(cause)})."
            raise InputFileError(msg) from err
    ground = np.asarray(data.filled(np.nan), dtype=np.float32)
    missing = ~np.isfinite(ground)
    meta["missing_share"] = float(missing.mean())
    if missing.all():
        msg = f"{p}: the DEM has no elevation anywhere in the study area (only nodata, or it lies elsewhere)."
        raise InputFormatError(msg)
    return ground, meta
