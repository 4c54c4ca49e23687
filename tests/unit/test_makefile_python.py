"""The Makefile builds the venv with Python 3.12 (the Lambda runtime SnapStart supports), found where it is.

Stand-in interpreters (shell scripts answering the Makefile's two questions) keep this fast and independent
of what the machine has installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Answers "are you 3.12?" (exit status) and "which version?"; `-m venv DIR` makes a venv of itself; pip does nothing.
FAKE_PYTHON = """#!/bin/sh
case "$*" in
  *python_version*) echo {version} ;;
  *version_info*) case "{version}" in 3.12.*) exit 0 ;; *) exit 1 ;; esac ;;
  "-m venv "*) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
esac
exit 0
"""
# What pyenv puts on PATH for a version that is installed but not selected.
PYENV_SHIM = """#!/bin/sh
echo "pyenv: python3.12: command not found" >&2
exit 127
"""


def _script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def _fake_python(path: Path, version: str) -> Path:
    return _script(path, FAKE_PYTHON.format(version=version))


def _make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv")}
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(autouse=True)
def _needs_make():
    assert shutil.which("make"), "make is part of the project's prerequisites"


def test_a_python3_12_on_path_that_runs_is_the_interpreter(tmp_path):
    python = _fake_python(tmp_path / "bin" / "python3.12", "3.12.7")

    result = _make(tmp_path, "python")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{python} (Python 3.12.7)"


def test_a_pyenv_shim_that_refuses_to_run_gives_way_to_pyenv_s_own_3_12(tmp_path):
    _script(tmp_path / "bin" / "python3.12", PYENV_SHIM)
    _fake_python(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", "3.12.1")
    newest = _fake_python(tmp_path / "pyenv" / "versions" / "3.12.4" / "bin" / "python3.12", "3.12.4")

    result = _make(tmp_path, "python")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{newest} (Python 3.12.4)"


def test_another_python_is_not_taken_for_3_12(tmp_path):
    _fake_python(tmp_path / "bin" / "python3.12", "3.11.7")  # a mislabelled interpreter

    result = _make(tmp_path, "python")

    assert result.returncode != 0


def test_without_3_12_the_build_stops_and_says_how_to_install_it(tmp_path):
    result = _make(tmp_path, "venv", "VENV=" + str(tmp_path / "venv"))

    assert result.returncode != 0
    assert "Python 3.12 not found" in result.stderr
    assert "apt-get install python3.12" in result.stderr and "pyenv install 3.12" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_a_venv_built_by_another_python_is_rebuilt_and_stamped_with_the_version(tmp_path):
    _fake_python(tmp_path / "bin" / "python3.12", "3.12.7")
    venv = tmp_path / "venv"
    _fake_python(venv / "bin" / "python", "3.11.7")
    (venv / "built-by-3.11").touch()

    result = _make(tmp_path, "venv", f"VENV={venv}")

    assert result.returncode == 0, result.stderr
    assert "was not built with Python 3.12.7: rebuilding it" in result.stdout
    assert not (venv / "built-by-3.11").exists()
    assert [p.name.split("-")[1] for p in venv.glob(".installed-*")] == ["py3.12.7"]
    assert os.access(venv / "bin" / "python", os.X_OK)
