"""Where the tiles' work runs: in the process, in a local process pool, or on a Dask cluster.

:class:`Engine` with neither ``workers`` nor ``scheduler`` runs the tasks one after the other in the process;
``workers=N`` in a :class:`concurrent.futures.ProcessPoolExecutor`; ``scheduler="local"`` on a
``dask.distributed.LocalCluster`` and ``scheduler="tcp://host:port"`` on an existing Dask cluster, through the
Dask client's futures (``Client.submit`` and ``as_completed``). Dask retries a task whose worker dies.

An engine runs any pure function on tasks that can be pickled, and knows nothing of what they hold: it yields
each result with its task's position, in the order the results finish, and bounds the tasks pending at once.
The one thing it keeps about tiles is their size, :attr:`Engine.tile_cells`, which the caller cuts by
(:func:`equity.engine.tiles.run_tiles`) and the manifest records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from equity._errors import InputError

#: Default side of a tile in cells (3,072 m at 1 m cells): big enough that the margin adds little work (a 155
#: cell margin widens a tile's window by a fifth of its area), small enough that a worker's tile with homes
#: stays near 0.75 GB (4,096 took 1.15 GB a worker, 3.8 GB in all with 2 workers, in about the same time on
#: 100,000 cameras: ``benchmarks/results/engine_scaling.json``).
TILE_CELLS = 3072


@dataclass
class Engine:
    """Where the tiles of a study run.

    Parameters
    ----------
    workers
        Size of a local process pool (``concurrent.futures.ProcessPoolExecutor``); with ``scheduler="local"``,
        the number of worker processes of the ``LocalCluster`` (default 2).
    scheduler
        ``"local"`` for a Dask ``LocalCluster`` on this machine, or the address of a Dask scheduler
        (``"tcp://host:8786"``). Needs the ``dask`` extra (``pip install equity[dask]``).
    tile_cells
        Side of a tile in grid cells. Changes how the work is cut, never the results.
    in_flight
        Tiles submitted ahead of the results merged, per worker: bounds the memory held by pending tiles.
    """

    workers: int | None = None
    scheduler: str | None = None
    tile_cells: int = TILE_CELLS
    in_flight: int = 2
    _pool: Any = field(default=None, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)
    _cluster: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if self.workers is not None and self.workers < 1:
            problems.append(f"workers must be at least 1, not {self.workers!r}")
        if self.tile_cells < 16:
            problems.append(f"tile_cells must be at least 16, not {self.tile_cells!r}")
        if self.scheduler is not None and self.scheduler != "local" and "://" not in self.scheduler:
            problems.append(f"scheduler must be 'local' or an address like tcp://host:8786, not {self.scheduler!r}")
        if problems:
            raise InputError("; ".join(problems) + ".")

    @property
    def kind(self) -> str:
        """``in-process``, ``process-pool`` or ``dask``."""
        if self.scheduler is not None:
            return "dask"
        return "process-pool" if self.workers and self.workers > 1 else "in-process"

    def describe(self) -> dict[str, Any]:
        """The engine as recorded in the manifest (it never changes the results)."""
        out: dict[str, Any] = {"kind": self.kind, "tile_cells": self.tile_cells}
        if self.workers:
            out["workers"] = self.workers
        if self.scheduler:
            out["scheduler"] = self.scheduler
        return out

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Run ``fn`` on every task; yield ``(position, result)`` pairs as they finish.

        Tasks are made lazily from ``tasks`` and at most ``in_flight`` per worker are pending at once.
        """
        if self.kind == "in-process":
            for i, task in enumerate(tasks):
                yield i, fn(task)
        elif self.kind == "process-pool":
            yield from self._map_pool(fn, tasks)
        else:
            yield from self._map_dask(fn, tasks)

    def warm(self) -> None:
        """Start a process pool's workers now, each loading the modules a tile needs, so that they are ready
        when the client has read the inputs (a spawned worker takes a few seconds to import equity and its
        libraries). Does nothing for the other executors."""
        if self.kind == "process-pool":
            pool = self._start_pool()
            for _ in range(self.workers or 1):
                pool.submit(_warm_up)

    def _start_pool(self) -> Any:
        import concurrent.futures as cf
        import multiprocessing

        if self._pool is None:
            # spawn, not fork: the parent may hold threads (numba, GDAL) that a forked child would inherit locked
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def _map_pool(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        import concurrent.futures as cf

        self._start_pool()
        limit = max(1, (self.workers or 1) * self.in_flight)
        pending: dict[cf.Future, int] = {}
        source = enumerate(tasks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending[self._pool.submit(fn, item[1])] = item[0]
            if not pending:
                return
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()

    def client(self) -> Any:
        """The Dask client of this engine (started on first use)."""
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError as err:
                msg = "Running on a Dask cluster needs the dask extra: pip install 'equity[dask]'."
                raise InputError(msg) from err
            if self.scheduler == "local":
                self._cluster = LocalCluster(
                    n_workers=self.workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.scheduler, timeout="20s")
                except OSError as err:
                    msg = f"Could not reach the Dask scheduler at {self.scheduler} ({err})."
                    raise InputError(msg) from err
        return self._client

    def _map_dask(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        client = self.client()
        n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})) or (self.workers or 1))
        limit = max(1, n_workers * self.in_flight)
        position: dict[str, int] = {}
        source = enumerate(tasks)
        first = []
        for _ in range(limit):
            item = next(source, None)
            if item is None:
                break
            fut = client.submit(fn, item[1], pure=False)
            position[fut.key] = item[0]
            first.append(fut)
        if not first:
            return
        queue = as_completed(first)
        for fut in queue:
            result = fut.result()
            i = position.pop(fut.key)
            fut.release()
            item = next(source, None)
            if item is not None:
                new = client.submit(fn, item[1], pure=False)
                position[new.key] = item[0]
                queue.add(new)
            yield i, result

    def close(self) -> None:
        """Shut down the pool or the Dask client (and the LocalCluster it started)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:  # a study (and its engine) may be copied; pools are not
        state = dict(self.__dict__)
        state.update(_pool=None, _client=None, _cluster=None)
        return state


def _warm_up() -> None:
    """Import what a tile's work needs (run in a new worker)."""
    import equity.homes
    import equity.io.dem
    import equity.visibility  # noqa: F401


def default_workers() -> int:
    """The machine's cores (what ``--workers`` defaults to when asked for a pool without a number)."""
    return max(1, os.cpu_count() or 1)
