"""Browser tests never skip silently: no Chromium fails the run, unless HALLES_SKIP_BROWSER_TESTS=1."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixtures.browser_gate import DEFAULT_CHROMIUM, decide

ROOT = Path(__file__).resolve().parents[2]


def exists_only(*paths: str):
    return lambda path: path in paths


def test_with_chromium_installed_the_browser_tests_run():
    gate = decide({}, exists_only(DEFAULT_CHROMIUM))
    assert (gate.action, gate.chromium) == ("run", DEFAULT_CHROMIUM)


def test_without_chromium_the_run_fails_and_says_how_to_fix_it():
    gate = decide({}, exists_only())
    assert gate.action == "fail"
    assert DEFAULT_CHROMIUM in gate.message and "HALLES_SKIP_BROWSER_TESTS=1" in gate.message


def test_the_explicit_opt_out_skips_them_even_with_chromium():
    assert decide({"HALLES_SKIP_BROWSER_TESTS": "1"}, exists_only(DEFAULT_CHROMIUM)).action == "skip"
    assert decide({"HALLES_SKIP_BROWSER_TESTS": "1"}, exists_only()).action == "skip"


def test_an_opt_out_of_zero_or_empty_is_no_opt_out():
    assert decide({"HALLES_SKIP_BROWSER_TESTS": "0"}, exists_only()).action == "fail"
    assert decide({"HALLES_SKIP_BROWSER_TESTS": ""}, exists_only(DEFAULT_CHROMIUM)).action == "run"


def test_an_opt_out_value_other_than_1_is_refused_rather_than_guessed():
    gate = decide({"HALLES_SKIP_BROWSER_TESTS": "yes"}, exists_only(DEFAULT_CHROMIUM))
    assert gate.action == "fail" and "set it to 1" in gate.message


def test_another_chromium_may_be_named():
    gate = decide({"HALLES_CHROMIUM": "/opt/chromium/chrome"}, exists_only("/opt/chromium/chrome"))
    assert (gate.action, gate.chromium) == ("run", "/opt/chromium/chrome")


def run_browser_tests(**env: str) -> subprocess.CompletedProcess:
    """pytest on tests/browser as `make test` runs it, with Chromium made to look missing."""
    environ = {k: v for k, v in os.environ.items() if k != "HALLES_SKIP_BROWSER_TESTS"}
    environ |= {"HALLES_CHROMIUM": "/nonexistent/chromium", **env}
    # Its own --basetemp: a nested pytest left to pick one under /tmp/pytest-of-<user> would prune the
    # outer run's temporary directories (pytest keeps the three newest), packaged bundles included.
    with tempfile.TemporaryDirectory(prefix="halles-gate-") as basetemp:
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
                               f"--basetemp={basetemp}", "tests/browser/test_catalogue_ui.py"],
                              cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_a_run_selecting_browser_tests_without_chromium_fails_before_running_anything():
    result = run_browser_tests()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "need Debian's Chromium" in output and "HALLES_SKIP_BROWSER_TESTS=1" in output
    assert " passed" not in output and " skipped" not in output


def test_the_opt_out_skips_them_loudly_at_the_start_and_in_the_summary():
    result = run_browser_tests(HALLES_SKIP_BROWSER_TESTS="1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    header, summary = output.split("collected", 1)
    assert "!!! browser tests: HALLES_SKIP_BROWSER_TESTS=1: the browser tests are SKIPPED" in header
    assert "browser test(s) SKIPPED: HALLES_SKIP_BROWSER_TESTS=1" in summary
    assert " passed" not in summary
