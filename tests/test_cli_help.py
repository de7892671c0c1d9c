"""The command line's help: every command's --help has examples that are valid invocations of it, options that
do nothing in a command are not offered there, and -v/-q/--debug work after the command too."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from equity.cli import cli, configure_logging

SF = Path(__file__).resolve().parents[1] / "data" / "sf"
COMMANDS = sorted(cli.commands)


def _examples(help_text: str) -> list[str]:
    """The example command lines of a --help text (after "Examples:", comments and continuations joined)."""
    lines = help_text.split("Examples:", 1)[1].splitlines()
    joined, current = [], ""
    for line in lines:
        text = line.split("#", 1)[0].strip() if not line.strip().startswith("#") else ""
        if not text:
            if current:
                joined.append(current)
                current = ""
            continue
        part = text.removesuffix("\\").strip()
        current = f"{current} {part}".strip()
        if not text.endswith("\\"):
            joined.append(current)
            current = ""
    if current:
        joined.append(current)
    return [c for c in joined if c.startswith("equity ")]


@pytest.mark.parametrize("name", ["(group)", *COMMANDS])
def test_every_help_has_an_example_that_parses(name):
    args = [] if name == "(group)" else [name]
    res = CliRunner().invoke(cli, [*args, "--help"], obj={})
    assert res.exit_code == 0, res.output
    assert "Examples:" in res.output
    examples = _examples(res.output)
    assert examples, res.output
    if name != "(group)":
        assert all(e.split()[1] == name for e in examples), examples
    for example in examples:
        words = shlex.split(example)[1:]
        if "--help" in words:
            continue
        # parse the example as click would run it: unknown options, bad choices and missing required options fail
        _parse(words)


def _parse(words: list[str]) -> None:
    """Parse a command line as click would before running it (options, choices, required options)."""
    root = click.Context(cli, info_name="equity", obj={})
    with root:
        cli.commands[words[0]].make_context(words[0], list(words[1:]), parent=root)


def _params(name: str) -> set[str]:
    return {opt for p in cli.commands[name].params for opt in getattr(p, "opts", [])}


def test_options_that_do_nothing_are_not_offered():
    # the demos have no buildings or DEM: no surface model to set the cells or the target of
    assert not {"--cell-size", "--target-height"} & _params("demo")
    assert {"--fov", "--range", "--sensitivity", "--second-level", "--buffer"} <= _params("demo")
    # cameras models views, measures nothing against units, classes or a surface
    assert not {"--sensitivity", "--second-level", "--cell-size", "--target-height"} & _params("cameras")
    assert {"--fov", "--range", "--detail-level", "--unknown-direction", "--include-indoor"} <= _params("cameras")
    # analyze takes every one of them
    assert {"--cell-size", "--target-height", "--sensitivity", "--second-level", "--fov"} <= _params("analyze")


def test_an_option_left_out_is_refused():
    res = CliRunner().invoke(cli, ["demo", "--cell-size", "2", "--out", "x"], obj={})
    assert res.exit_code == 2
    assert "No such option '--cell-size'" in res.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_before_or_after_the_command(where):
    args = ["cameras", str(SF / "cameras.osm")]
    loud = CliRunner().invoke(cli, args, obj={})
    assert loud.exit_code == 0, loud.output
    assert "cameras," in loud.output
    assert "views" in loud.output
    quiet_args = ["-q", *args] if where == "before" else [*args, "-q"]
    quiet = CliRunner().invoke(cli, quiet_args, obj={})
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""


def test_quiet_after_the_command_silences_the_analysis_summary(tmp_path):
    args = ["demo", "--out", str(tmp_path / "out"), "--no-sensitivity", "--map-assets", "cdn", "-q"]
    res = CliRunner().invoke(cli, args, obj={})
    assert res.exit_code == 0, res.output
    assert res.output == ""
    assert (tmp_path / "out" / "report.html").is_file()
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_verbose_after_the_command_adds_to_before():
    runner = CliRunner()
    res = runner.invoke(cli, ["cameras", str(SF / "cameras.osm"), "-q"], obj={})
    assert logging.getLogger("equity").level == logging.ERROR
    res = runner.invoke(cli, ["cameras", str(SF / "cameras.osm"), "-v"], obj={})
    assert res.exit_code == 0
    assert logging.getLogger("equity").level == logging.INFO
    res = runner.invoke(cli, ["-v", "cameras", str(SF / "cameras.osm"), "-v"], obj={})
    assert logging.getLogger("equity").level == logging.DEBUG
    configure_logging(0)  # the default again, for the tests that follow


def test_debug_after_the_command_shows_the_traceback(tmp_path):
    missing = str(tmp_path / "nowhere.osm")
    plain = CliRunner().invoke(cli, ["cameras", missing], obj={})
    assert plain.exit_code == 2
    assert "no such file" in plain.output
    debug = CliRunner().invoke(cli, ["cameras", missing, "--debug"], obj={})
    assert debug.exit_code != 2
    assert isinstance(debug.exception, OSError)  # raised, not turned into one line


def test_an_unknown_option_fails_to_parse():  # the parse of the examples above can fail
    with pytest.raises(click.UsageError):
        _parse(["demo", "--no-such-option"])
    with pytest.raises(click.UsageError):
        _parse(["analyze", "--cameras", "c.osm", "--out", "x"])  # --units is required
