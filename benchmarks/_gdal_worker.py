"""Times GDAL's in-process viewshed (osgeo.gdal.ViewshedGenerate into a MEM dataset), one observer at a time.

Run by viewshed_speed.py with the Python that has GDAL's bindings (Debian's python3-gdal):
``python3 _gdal_worker.py surface.npy range_m observer_h target_h``. It reads lines ``row col`` on its standard
input and answers each with the seconds GDAL took, so that the caller can interleave GDAL's calls with its
own and both meet the same load on a shared machine.
"""

import sys
import time

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def main() -> None:
    surface = np.load(sys.argv[1])
    range_m, observer_h, target_h = (float(v) for v in sys.argv[2:5])
    rows, cols = surface.shape
    src = gdal.GetDriverByName("MEM").Create("", cols, rows, 1, gdal.GDT_Float64)
    src.SetGeoTransform((0.0, 1.0, 0.0, float(rows), 0.0, -1.0))
    src.GetRasterBand(1).WriteArray(surface)
    band = src.GetRasterBand(1)
    print("ready", flush=True)
    for line in sys.stdin:
        row, col = (int(v) for v in line.split())
        x, y = col + 0.5, rows - row - 0.5
        t0 = time.perf_counter()
        ds = gdal.ViewshedGenerate(
            band, "MEM", "", [], x, y, observer_h, target_h, 255, 0, 0, -1.0, 0.0, gdal.GVM_Edge, range_m
        )
        ds.GetRasterBand(1).ReadAsArray()
        elapsed = time.perf_counter() - t0
        ds = None
        print(repr(elapsed), flush=True)


if __name__ == "__main__":
    main()
