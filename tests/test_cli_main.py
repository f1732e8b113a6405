"""The console script: usage mistakes end in one line and exit code 1, like any bad input."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "gazelearn", *args],
                          capture_output=True, text=True, timeout=120)


def test_unknown_option_is_one_line_and_exit_1():
    result = run("info", "--bogus", "x.csv")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: No such option: --bogus (see 'gazelearn info --help')"]


def test_missing_required_option_names_it():
    result = run("events", "detect", "x.csv")
    assert result.returncode == 1
    assert "Missing option '--output'" in result.stderr and "Traceback" not in result.stderr


def test_help_and_version_exit_0():
    assert run("--version").stdout.strip().startswith("gazelearn ")
    bare = run()
    assert bare.returncode == 0 and "Usage" in bare.stdout
