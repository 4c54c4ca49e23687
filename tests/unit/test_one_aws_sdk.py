"""The app reaches AWS through botocore alone (PynamoDB, chalicelib/aws_clients.py): boto3 on top of it
costs the first request that imports it ~20 ms of cold start (s3transfer, concurrent.futures,
multiprocessing...), and Powertools' idempotency utility imports boto3 for its DynamoDB layer. Every
import statement counts, including those inside functions (a first request runs them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# S3 presigned POSTs (product images) are built by boto3's S3 client helper; only that route loads it.
ALLOWED = {("chalicelib/store/images.py", "boto3")}
HEAVY = ("boto3", "aws_lambda_powertools.utilities.idempotency")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_of_the_app_imports_boto3_or_powertools_idempotency():
    offenders = []
    for path in sorted([ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        for name in imported_modules(path):
            heavy = next((h for h in HEAVY if name == h or name.startswith(h + ".")), None)
            if heavy and (relative, heavy) not in ALLOWED:
                offenders.append(f"{relative}: {name}")
    assert offenders == []
