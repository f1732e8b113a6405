"""Help text and output of the console script, as a user reads them (issue 18, issue 14).

Every command's ``--help``: no ``<bool>``, no ``{name}`` placeholders, no Python function names
in hints; ``--format`` lists the real formats; ``[px]`` survives in ``info``; piped tables keep
their full cells; a bare command prints its help once; ``--help`` and ``--version`` import no
heavy library; the lazy command list shows each command's own short help.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app

runner = CliRunner()


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "gazelearn", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kwargs)


def _command_paths() -> list[list[str]]:
    """Every command and group of the tree: ``[]``, ``["events"]``, ``["events", "detect"]``..."""
    import typer

    try:  # typer >= 0.20 vendors click; older typer uses click itself
        from typer._click import Context
    except ImportError:  # pragma: no cover
        from click import Context

    paths = []

    def walk(command, path):
        paths.append(path)
        if hasattr(command, "list_commands"):
            context = Context(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


PATHS = _command_paths()


def test_the_tree_has_every_command():
    names = {" ".join(path) for path in PATHS}
    assert {"info", "events detect", "scanpath cv", "track", "simulate eyes"} <= names
    assert len(PATHS) >= 30


# a Python name in a hint: gazelearn.io..., something(), a CamelCase class with a dot
_PYTHON_NAME = re.compile(r"\bgazelearn\.[a-z_]+|\b[A-Za-z_][A-Za-z0-9_]*\(\)")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "gazelearn")
def test_help_reads_as_the_command_line_takes_it(path):
    result = runner.invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"Usage: gazelearn {' '.join(path)}".rstrip())
    assert "<bool>" not in text and "<int" not in text and "<float" not in text
    assert not re.search(r"\{\w+\}", text), text  # usage placeholders such as {inputs}
    assert not _PYTHON_NAME.search(text), _PYTHON_NAME.search(text)
    assert "--install-completion" not in text
    assert "\\[" not in text  # markup escapes shown as they are


def test_flags_have_no_type_and_pairs_show_how_they_are_typed():
    text = runner.invoke(app, ["simulate", "eyes", "--help"], terminal_width=100).stdout
    assert re.search(r"--color\s+RGB images", text)  # a flag: no type between name and help
    assert "--size INT INT" in text and "[default: 64 36]" in text  # typed 64 36, not 64,36
    result = _run("simulate", "eyes", "--help")
    assert "--size INT INT" in result.stdout
    detect = runner.invoke(app, ["events", "detect", "--help"], terminal_width=100).stdout
    assert "Usage: gazelearn events detect [OPTIONS] INPUTS..." in detect
    assert "deep" in detect.split("--method, -m TEXT")[1].split("--output")[0]


def test_format_help_lists_the_real_formats():
    from gazelearn.cli.reader_options import FORMAT_NAMES
    from gazelearn.io import available_formats

    assert list(FORMAT_NAMES) == available_formats()
    text = runner.invoke(app, ["info", "--help"]).stdout
    # the option's help, its wrapped lines joined (the box's edges and indent dropped)
    lines = text.split("--format TEXT")[1].split("--time-col")[0].splitlines()
    words = " ".join(line.strip("│ ") for line in lines).replace(",", " ").split()
    assert set(available_formats()) <= set(words)


def test_the_size_the_help_shows_is_accepted(tmp_path):
    out = tmp_path / "eyes"
    result = runner.invoke(app, ["simulate", "eyes", "--persons", "1", "--measurements", "1",
                                 "--frames", "2", "--size", "32", "18", "--output", str(out)])
    assert result.exit_code == 0, result.output
    from PIL import Image

    first = sorted((out / "images").glob("*.png"))[0]
    assert Image.open(first).size == (32, 18)


def test_lazy_listing_is_each_commands_own_short_help():
    import typer

    from gazelearn.cli.help_format import short_help
    from gazelearn.cli.main import _Commands

    try:
        from typer._click import Context
    except ImportError:  # pragma: no cover
        from click import Context
    root = typer.main.get_command(app)
    context = Context(root)
    for name, (_, text) in _Commands.lazy_commands.items():
        assert text == short_help(root.get_command(context, name)), name


def test_bare_command_prints_help_once():
    for args in ([], ["events"]):
        result = _run(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("Usage:") == 1, result.stdout
        assert "Commands" in result.stdout


def test_usage_errors_point_to_the_commands_own_help():
    result = _run("events", "detect", "--bogus", "x.csv")
    assert result.returncode == 1
    assert result.stderr.strip().endswith("(see 'gazelearn events detect --help')")
    result = _run("scanpath", "cv")
    assert "(see 'gazelearn scanpath cv --help')" in result.stderr
    assert "Missing argument 'RECORDINGS...'" in result.stderr  # the name the usage shows


def test_help_and_version_import_no_heavy_module():
    heavy = ("numpy", "polars", "torch", "sklearn", "scipy", "matplotlib", "mediapipe",
             "rich.markdown", "markdown_it", "pygments")
    code = ("import sys\nfrom gazelearn.cli.main import main\nsys.argv = ['gazelearn', "
            "sys.argv[1]]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            f"sys.stderr.write(repr(sorted(m for m in {heavy!r} if m in sys.modules)))")
    for flag in ("--help", "--version"):
        result = subprocess.run([sys.executable, "-c", code, flag], capture_output=True,
                                text=True, timeout=120)
        assert result.stderr.strip() == "[]", (flag, result.stderr)
        assert result.stdout.strip()


def test_brackets_survive_in_info_output(tmp_path):
    path = tmp_path / "rec [px].csv"
    path.write_text("t,L POR X [px],L POR Y [px]\n0,1,2\n2,3,4\n4,5,6\n")
    result = _run("info", path, "--time-col", "t", "--x-col", "L POR X [px]",
                  "--y-col", "L POR Y [px]")
    assert result.returncode == 0, result.stderr
    assert "rec [px].csv" in result.stdout
    missing = _run("info", path, "--time-col", "t")
    assert missing.returncode == 1
    assert "L POR X [px], L POR Y [px]" in missing.stderr  # the file's columns, as named


def test_piped_tables_keep_every_cell_whole():
    from gazelearn.io import available_formats, reader_info

    result = _run("formats")  # stdout is a pipe here
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    header = result.stdout.splitlines()[1]
    for column in ("format", "description", "--format auto looks for", "options"):
        assert column in header
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
             if line.startswith("│")}
    assert set(lines) == set(available_formats())  # one line per format: nothing wrapped
    for name in available_formats():
        assert " ".join(reader_info(name).description.split()) in lines[name]
    models = _run("models")
    assert "…" not in models.stdout and "--model of" in models.stdout


def test_models_json_free_listing_names_the_commands():
    from gazelearn.cli.learn_commands import model_commands

    listing = model_commands()
    assert listing["tree"] == ["tune", "scanpath train", "scanpath cv"]
    assert listing["heatmap-cnn"] == ["scanpath train", "scanpath cv"]
    assert listing["conv2d"] == []  # images only: Python
    assert json.dumps(listing)  # plain names, nothing else
