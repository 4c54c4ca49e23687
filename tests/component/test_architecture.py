"""The layers of .importlinter are enforced: `make lint` fails on a forbidden import.

Each case plants one module with a forbidden import into a copy of the project and runs the
real `make lint` there (ruff, then lint-imports); it must fail and name the broken contract.
The copy first passes as it is, so a failure can only come from the planted module.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("app.py", "chalicelib", "devstack", "tests", "scripts", ".importlinter", "Makefile", "ruff.toml",
          "requirements.txt", "requirements-dev.txt")
VENV = Path(sys.executable).parent.parent  # the venv running these tests, where ruff and lint-imports live


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    (copy / ".installed").touch()  # a stamp newer than requirements*.txt: make does not reinstall the venv
    return copy


def make_lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "lint", f"VENV={VENV}", f"STAMP={project / '.installed'}"],
        capture_output=True, text=True, timeout=180,
    )


def test_the_project_as_it_is_passes_make_lint(project_copy):
    result = make_lint(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTED = {
    "domain imports an AWS library": (
        "chalicelib/domain/planted.py", "import boto3\n\nCLIENT = boto3.client\n",
        "chalicelib.domain imports nothing of the project but itself"),
    "domain imports settings": (
        "chalicelib/domain/planted.py", "from chalicelib.settings import get_settings\n\nSETTINGS = get_settings\n",
        "chalicelib.domain imports nothing of the project but itself"),
    "a handler imports a repository inside its function": (
        "chalicelib/handlers/planted.py", "def view():\n    from chalicelib.store import carts\n\n    return carts\n",
        "chalicelib.handlers reach adapters only through chalicelib.services"),
    "a handler imports the payment adapter": (
        "chalicelib/handlers/planted.py", "from chalicelib.payments import get_gateway\n\nGATEWAY = get_gateway\n",
        "chalicelib.handlers reach adapters only through chalicelib.services"),
    "the payment adapter imports a repository": (
        "chalicelib/payments/planted.py",
        "def claim():\n    from chalicelib.store import webhook_events\n\n    return webhook_events\n",
        "adapters do not import each other"),
    "a repository imports a use case": (
        "chalicelib/store/planted.py", "from chalicelib.services import cart\n\nSERVICE = cart\n",
        "handlers -> services -> adapters -> domain, never upwards"),
    "a use case imports the local stack": (
        "chalicelib/services/planted.py", "from devstack import seed\n\nSEED = seed\n",
        "the deployed code (chalicelib) imports no local stack"),
    "the app imports moto": (
        "chalicelib/services/planted.py", "import moto\n\nMOTO = moto\n",
        "the deployed code (chalicelib) imports no local stack"),
}


@pytest.mark.parametrize("case", PLANTED)
def test_make_lint_fails_on_a_forbidden_import(project_copy, case):
    path, source, contract = PLANTED[case]
    planted = project_copy / path
    planted.write_text(source)
    try:
        result = make_lint(project_copy)
    finally:
        planted.unlink()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "All checks passed!" in output, "ruff must accept the planted module: the contract is what fails"
    broken = output.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), output
    assert planted.stem in output, "the report names the offending module"


def test_app_py_imports_only_chalice_and_chalicelib():
    """app.py is a module, not a package, so import-linter cannot check it; this does."""
    tree = ast.parse((ROOT / "app.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {name.split(".")[0] for name in imported} <= {"chalice", "chalicelib"}, imported
