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


def test_start_up_loads_no_heavy_library():
    # command modules import these inside their commands: `gazelearn --version` stays quick
    code = ("import sys, gazelearn.cli.main; print(sorted(m for m in ('torch', 'sklearn', "
            "'matplotlib', 'mediapipe', 'fastapi', 'cv2') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


def test_library_error_in_api_words_gets_the_command_options(tmp_path):
    path = tmp_path / "no_time.csv"
    path.write_text("gx,gy\n1,2\n3,4\n")
    result = run("info", str(path), "--x-col", "gx", "--y-col", "gy")
    assert result.returncode == 1
    line, = result.stderr.strip().splitlines()
    assert "give the sampling rate (sampling_rate=HZ)" in line
    assert line.endswith("; on the command line give --sampling-rate HZ or --time-col")
