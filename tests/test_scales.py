"""City-level findings at two scales (equity.scales): the verdicts on known intervals."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from equity.inequality import Estimate
from equity.scales import compare_scales, reading


def _result(values: dict[str, tuple[float, float, float]], units: int, draws: bool = True) -> SimpleNamespace:
    city = [Estimate(name, v, -9.0, 9.0, units, 0, "") for name, (v, _, _) in values.items()]
    measures = pd.DataFrame(
        [{"measure": n, "value": v, "draws_low": lo, "draws_high": hi} for n, (v, lo, hi) in values.items()]
    )
    unc = SimpleNamespace(measures=measures) if draws else None
    return SimpleNamespace(city=city, uncertainty=unc, units=pd.DataFrame(index=range(units)))


def test_verdicts():
    coarse = _result(
        {
            "a": (0.2, 0.1, 0.3),
            "b": (0.2, 0.1, 0.3),
            "c": (0.2, -0.1, 0.3),
            "d": (0.2, 0.1, 0.3),
            "e": (0.0, -0.1, 0.1),
            "Gini of cameras per resident": (0.48, 0.41, 0.47),
        },
        41,
    )
    fine = _result(
        {
            "a": (0.3, 0.2, 0.4),
            "b": (-0.3, -0.4, -0.2),
            "c": (0.3, 0.2, 0.4),
            "d": (0.1, -0.1, 0.2),
            "e": (0.0, -0.1, 0.1),
            "Gini of cameras per resident": (0.82, 0.82, 0.85),
        },
        579,
    )
    out = compare_scales(coarse, fine).set_index("measure")
    assert out.loc["a", "verdict"] == "holds at both"
    assert out.loc["b", "verdict"] == "flips"
    assert out.loc["c", "verdict"] == "only at the fine scale"
    assert out.loc["d", "verdict"] == "only at the coarse scale"
    assert out.loc["e", "verdict"] == "inconclusive at both"
    assert out.loc["Gini of cameras per resident", "verdict"] == "compared by value"
    assert (out["units_coarse"] == 41).all()
    assert (out["units_fine"] == 579).all()
    assert (out["interval"] == "draws of the sources of error").all()


def test_bootstrap_interval_without_draws():
    coarse = _result({"a": (0.2, 0.1, 0.3)}, 3, draws=False)
    out = compare_scales(coarse, coarse)
    assert out.loc[0, "interval"] == "bootstrap over units"
    assert out.loc[0, "verdict"] == "inconclusive at both"  # the bootstrap interval here is -9 to 9
    assert reading(float("nan"), float("nan"), float("nan")) == "inconclusive"


def test_demo_at_two_scales(tmp_path):
    """equity demo --fine-units: the block groups analysed too, the Presidio handed over as its polygon."""
    import json

    from click.testing import CliRunner

    from equity.cli import cli
    from equity.demo import demo_data_dir

    out = tmp_path / "sf"
    args = ["-q", "demo", "--out", str(out), "--map-assets", "cdn", "--no-sensitivity"]
    args += ["--fine-units", str(demo_data_dir() / "block_groups.geojson"), "--fine-unit-id", "GEO_ID"]
    run = CliRunner().invoke(cli, args, obj={})
    assert run.exit_code == 0, run.output
    scales = {r["measure"]: r for r in json.loads((out / "manifest.json").read_text())["scales"]}
    gini = scales["Gini of cameras per resident"]
    assert (gini["units_coarse"], gini["units_fine"]) == (41, 579)
    assert round(gini["coarse"], 2) == 0.48
    assert round(gini["fine"], 2) == 0.82
    assert "Two scales" in (out / "report.html").read_text()
