"""Performance figures: `python -m scripts.bench [name ...] [--rounds N] [--why]`.

Prints one `name: value unit` line per figure. Each benchmark is a function registered with
`@benchmark("group")` that yields `Figure`s; add new ones the same way (they run in order, and
`python -m scripts.bench group` runs one group). Never part of `make test`: timings on a shared
2-core machine are evidence for humans, not pass/fail gates.

cold_start: Lambda pays `import app` on every cold start. It is compared with a floor, the
framework any handler needs anyway (chalice, pynamodb.models, pydantic's BaseModel, Powertools
Logger), measured in fresh interpreters interleaved with the app's so machine noise hits both
alike. `--why` lists what `import app` loads beyond that floor, heaviest first.

bundle (after `make package`; skipped with a note when build/prod/deployment.zip is missing):
`bundle_zip_mb`, the zip's size on disk, then the same import from it on a Lambda-like
path (the bundle, then only the runtime's boto3/botocore/jmespath/s3transfer; no site-packages, no bytecode writes),
as shipped (with compiled bytecode) and stripped of its bytecode, which is what Chalice alone ships.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLD_START_TARGET_RATIO = 1.25

# `import pydantic` alone is lazy (a few ms); every route model needs BaseModel, so that is the floor.
FLOOR_IMPORTS = "import chalice, pynamodb.models; from pydantic import BaseModel; from aws_lambda_powertools import Logger"
APP_IMPORTS = "import app"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    digits: int = 1

    def line(self) -> str:
        return f"{self.name}: {self.value:.{self.digits}f} {self.unit}".rstrip()


@dataclass(frozen=True)
class Options:
    rounds: int = 9
    why: bool = False


BENCHMARKS: dict[str, Callable[[Options], Iterator[Figure]]] = {}


def benchmark(name: str):
    def register(fn: Callable[[Options], Iterator[Figure]]):
        BENCHMARKS[name] = fn
        return fn

    return register


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def child_environment() -> dict[str, str]:
    """No AWS or Halles settings: importing the app must not depend on them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HALLES_", "PYTHON"))}
    env["PYTHONHASHSEED"] = "0"
    return env


def timed_import_ms(statement: str, *, flags: tuple[str, ...] = (), setup: str = "", cwd: Path = ROOT) -> float:
    """Milliseconds a fresh interpreter (started in `cwd`) spends on `statement`, timed inside it."""
    code = f"{setup}import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
    out = subprocess.run([python(), *flags, "-c", code], cwd=cwd, env=child_environment(), capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: `{statement}` failed in a fresh interpreter:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


@benchmark("cold_start")
def cold_start(options: Options) -> Iterator[Figure]:
    timed_import_ms(APP_IMPORTS)  # warm-up: writes bytecode caches so every measured round is alike
    timed_import_ms(FLOOR_IMPORTS)
    app_ms, floor_ms = [], []
    for _ in range(options.rounds):
        app_ms.append(timed_import_ms(APP_IMPORTS))
        floor_ms.append(timed_import_ms(FLOOR_IMPORTS))
    app_median, floor_median = statistics.median(app_ms), statistics.median(floor_ms)
    yield Figure("cold_start_import_ms", app_median, "ms")
    yield Figure("cold_start_floor_ms", floor_median, "ms")
    yield Figure("cold_start_ratio", app_median / floor_median, "", digits=2)
    if options.why:
        print(explain_imports(), file=sys.stderr)


@benchmark("bundle")
def bundle(options: Options) -> Iterator[Figure]:
    archive = ROOT / "build" / "prod" / "deployment.zip"
    if not archive.exists():
        print(f"bench: bundle skipped, {archive.relative_to(ROOT)} does not exist (run `make package`)", file=sys.stderr)
        return
    yield Figure("bundle_zip_mb", archive.stat().st_size / 1e6, "MB")
    import boto3
    import botocore
    import jmespath
    import s3transfer

    with tempfile.TemporaryDirectory(prefix="halles-bench-") as tmp:
        root = Path(tmp)
        runtime = root / "runtime"  # what the Lambda Python runtime adds after the bundle
        runtime.mkdir()
        for module in (boto3, botocore, jmespath, s3transfer):  # scripts/package.py RUNTIME_PROVIDED
            (runtime / module.__name__).symlink_to(Path(module.__file__).parent)
        shipped, stripped = root / "shipped", root / "stripped"
        for target in (shipped, stripped):
            with zipfile.ZipFile(archive) as bundle_zip:
                bundle_zip.extractall(target)
        for cache in sorted(stripped.rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)

        def lambda_like(task: Path) -> float:
            setup = f"import sys; sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]; "
            return timed_import_ms(APP_IMPORTS, flags=("-S", "-B"), setup=setup, cwd=root)

        shipped_ms, stripped_ms = [], []
        for _ in range(options.rounds):
            shipped_ms.append(lambda_like(shipped))
            stripped_ms.append(lambda_like(stripped))
    shipped_median, stripped_median = statistics.median(shipped_ms), statistics.median(stripped_ms)
    yield Figure("bundle_import_ms", shipped_median, "ms")
    yield Figure("bundle_import_without_bytecode_ms", stripped_median, "ms")
    yield Figure("bundle_bytecode_speedup", stripped_median / shipped_median, "x", digits=2)


def _importtime(statement: str) -> dict[str, tuple[int, int]]:
    """module -> (self µs, cumulative µs) from `python -X importtime`."""
    out = subprocess.run([python(), "-X", "importtime", "-c", statement], cwd=ROOT, env=child_environment(),
                         capture_output=True, text=True, check=True)
    modules = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|")
        modules[name.strip()] = (int(self_us), int(cumulative_us))
    return modules


def explain_imports(statement: str = APP_IMPORTS, top: int = 20, label: str = "import app",
                    blueprints: tuple[str, ...] | None = None) -> str:
    """The modules `statement` loads beyond the floor, by self time, with who imported them. `blueprints`: the
    handler modules the statement's app registers (None: every one, as app.py)."""
    floor = _importtime(FLOOR_IMPORTS)
    # -X importtime only sees `import` statements; api_app() loads the handlers with
    # importlib.import_module, which would all be charged to chalicelib.entries. Load them visibly first.
    names = "h.BLUEPRINTS" if blueprints is None else repr(tuple(blueprints))
    app = _importtime(f"import chalicelib.handlers as h\n"
                      f"for m in {names}: __import__('chalicelib.handlers.' + m)\n" + statement)
    extra = sorted(((us, name) for name, (us, _) in app.items() if name not in floor), reverse=True)
    total = sum(us for us, _ in extra)
    lines = [f"{label} loads {len(extra)} modules beyond the floor, {total / 1000:.1f} ms self time in all:"]
    for us, name in extra[:top]:
        lines.append(f"  {us / 1000:6.1f} ms  {name} (cumulative {app[name][1] / 1000:.1f} ms)")
    return "\n".join(lines)


import scripts.bench_chaos  # noqa: E402,F401  (registers the "chaos" benchmarks)
import scripts.bench_checkout  # noqa: E402,F401  (registers the "checkout" benchmarks)
import scripts.bench_cold  # noqa: E402,F401  (registers the "cold_routes" benchmarks)
import scripts.bench_cost  # noqa: E402,F401  (registers the "cost" benchmarks)
import scripts.bench_frontend  # noqa: E402,F401  (registers the "frontend" benchmarks)
import scripts.bench_imports  # noqa: E402,F401  (registers the "imports" benchmarks)
import scripts.bench_surveys  # noqa: E402,F401  (registers the "surveys" benchmarks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--rounds", type=int, default=9, help="fresh processes per measurement (default 9)")
    parser.add_argument("--why", action="store_true", help="explain what makes `import app` heavier than the floor")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    options = Options(rounds=args.rounds, why=args.why)
    for name in args.names or list(BENCHMARKS):
        for figure in BENCHMARKS[name](options):
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
