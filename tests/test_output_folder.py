"""The output folder under concurrent runs, killed runs and a full disk: nothing lost, one sentence, exit 2."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

READERS = Path(__file__).parent / "data" / "readers"
EQUITY = str(Path(sys.executable).with_name("equity"))


def _analyze(cameras: str, out: Path, *extra: str) -> list[str]:
    inputs = ["--cameras", str(READERS / cameras), "--units", str(READERS / "units.geojson")]
    return [EQUITY, "analyze", *inputs, "--out", str(out), "--map-assets", "cdn", "--no-sensitivity", *extra]


def test_two_studies_writing_one_folder_at_once_do_not_replace_each_other(tmp_path):
    """Two runs of different studies start together on one --out; the folder's lock is held until both have
    finished their analyses, then let go: one writes, the other finds its outputs and refuses them."""
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".equity.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a third run writing there would
        runs = [
            subprocess.Popen(_analyze(cameras, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for cameras in ("cameras.osm", "cameras.csv")
        ]
        time.sleep(15)  # both analyses end well within this on the small fixtures, then wait for the lock
        os.unlink(out / ".equity.lock")
        fcntl.flock(lock, fcntl.LOCK_UN)
    finished = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in finished)
    assert codes == [0, 2], finished
    refused = next(err for code, _, err in finished if code == 2)
    assert "holds the results of a different study" in refused
    assert not list(out.glob(".equity*"))


def test_a_killed_run_leaves_no_staging_folder_for_long(tmp_path):
    """A staging folder that a killed run left (SIGKILL during the write) is removed by the next run."""
    out = tmp_path / "out"
    first = subprocess.run(_analyze("cameras.osm", out), capture_output=True, text=True, check=False, timeout=300)
    assert first.returncode == 0, first.stderr
    stale = out / ".equity-staging-killed"
    stale.mkdir()
    (stale / "units.gpkg").write_bytes(b"half a file")
    again = subprocess.run(_analyze("cameras.osm", out), capture_output=True, text=True, check=False, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".equity-staging-*"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_full_disk_is_one_sentence_and_the_earlier_outputs_stay(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)], check=False)
    if mounted.returncode != 0:
        pytest.skip("this machine does not let a test mount a file system")
    try:
        out = disk / "out"
        first = subprocess.run(_analyze("cameras.osm", out), capture_output=True, text=True, check=False, timeout=300)
        assert first.returncode == 0, first.stderr
        before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}  # units/ too
        # fill the disk, then leave 40 KB: less than a GeoPackage
        with open(disk / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(bytes(4096))
            except OSError:
                pass
        os.truncate(disk / "filler", max(0, (disk / "filler").stat().st_size - 40 * 1024))
        full = subprocess.run(
            _analyze("cameras.osm", out, "--force"), capture_output=True, text=True, check=False, timeout=300
        )
        assert full.returncode == 2, full.stderr
        lines = full.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"equity: error: {out}: cannot write the outputs")
        assert lines[0].endswith("the earlier outputs are unchanged.")
        assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)
