"""Command line of the local stack.

    python -m devstack run [--fresh] [--port 8000] [--frontend-port 8080] [--moto-port 0]
                           [--pay-port 12111] [--data-dir .data] [--no-seed] [--listen 127.0.0.1] [--verbose]
                           [--faults provider_5xx=0.1,ddb_throttle=0.05,...,seed=7]  (devstack/faults.py)
    python -m devstack fire <function_name> [--api http://127.0.0.1:8000] [--event '{...}' | --at <time>]
    python -m devstack functions [--api ...]
    python -m devstack dlq inspect|redrive [--queue notifications]

Ports default to the environment variables PORT, FRONTEND_PORT, MOTO_PORT and PAY_PORT.
Every listener binds 127.0.0.1 unless `--listen` (or HALLES_LOCAL_LISTEN) names another
interface: moto's Cognito signing key is public, so anyone who reaches the API can mint
admin tokens it accepts (the runner prints a warning saying so).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

LOOPBACK = "127.0.0.1"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"devstack: {name}={value!r} is not a port number") from None


def _fault_plan(spec: str):
    from devstack.faults import FaultSpecError, parse_spec

    try:
        return parse_spec(spec)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="The Halles local marketplace.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start moto, deploy infra/, seed, serve the API and the frontend")
    run.add_argument("--fresh", action="store_true", help="start empty (ignore and replace the saved data)")
    run.add_argument("--port", type=int, default=_env_int("PORT", 8000), help="API port (env PORT, 8000)")
    run.add_argument("--frontend-port", type=int, default=_env_int("FRONTEND_PORT", 8080),
                     help="frontend port (env FRONTEND_PORT, 8080)")
    run.add_argument("--moto-port", type=int, default=_env_int("MOTO_PORT", 0),
                     help="moto's port (env MOTO_PORT; default: any free port)")
    run.add_argument("--data-dir", type=Path, default=Path(".data"), help="where the snapshot is kept (.data)")
    run.add_argument("--no-seed", dest="seed", action="store_false", help="do not create the demo data")
    run.add_argument("--pay-port", type=int, default=_env_int("PAY_PORT", 12111),
                     help="the local payment provider's port (env PAY_PORT, 12111)")
    run.add_argument("--listen", "--host", dest="listen", default=os.environ.get("HALLES_LOCAL_LISTEN") or LOOPBACK,
                     help="interface for the API, frontend and payment provider (env HALLES_LOCAL_LISTEN, "
                          "127.0.0.1). Anything else exposes a stack whose tokens anyone can forge")
    run.add_argument("--verbose", action="store_true",
                     help="print every request and function run (default: only to <data-dir>/requests.log)")
    run.add_argument("--retry-after", type=int, default=_env_int("DEVSTACK_RETRY_AFTER", 2),
                     help="seconds before a failed SQS message is retried (env DEVSTACK_RETRY_AFTER, 2)")

    run.add_argument("--built-frontend", action="store_true",
                     help="serve the frontend as built for AWS (python -m scripts.build_frontend: hashed names, "
                          "long-cache headers) instead of frontend/ as it is, which reloads on every edit")
    run.add_argument("--faults", type=_fault_plan, default=None, metavar="SPEC",
                     help="inject faults at rates, e.g. provider_5xx=0.1,ddb_throttle=0.05,seed=7 "
                          "(devstack/faults.py and the README list them)")

    for name, help_text in (("fire", "run one schedule / SQS / Lambda function of the running stack now"),
                            ("functions", "list the functions of the running stack")):
        sub = commands.add_parser(name, help=help_text)
        if name == "fire":
            sub.add_argument("function_name")
            when = sub.add_mutually_exclusive_group()
            when.add_argument("--event", help="the event, as JSON (default: the event the trigger would send; "
                                              "for an SQS consumer: poll its queue once)")
            when.add_argument("--at", type=fire_time, metavar="TIME",
                              help="a schedule: run it as if EventBridge fired it at TIME, an ISO date or time "
                                   "(2026-12-01, 2026-12-01T09:00, ...Z or +01:00; no offset: UTC) or from now "
                                   "(+3d, +4d2h, -1h; units d h m)")
        sub.add_argument("--api", help="the running stack's API (default: from <data-dir>/runtime.json, "
                                       "else http://127.0.0.1:$PORT)")
        sub.add_argument("--data-dir", type=Path, default=Path(".data"),
                         help="the running stack's data directory, where its devstack-token is (.data)")
    dlq = commands.add_parser("dlq", help="list or redrive a queue's dead-letter queue (devstack/dlq.py)")
    dlq.add_argument("action", choices=("inspect", "redrive"))
    dlq.add_argument("--queue", default="notifications", help="the source queue (notifications, payment-events, "
                                                               "offer-imports)")
    dlq.add_argument("--limit", type=int, default=20, help="inspect: at most this many messages (20)")
    dlq.add_argument("--stack", default=None, help="the stack's name (default: the local stack's)")
    dlq.add_argument("--endpoint", default=None, help="the SQS endpoint (default: the running stack's moto, from "
                                                      "<data-dir>/runtime.json; '' for AWS itself)")
    dlq.add_argument("--data-dir", type=Path, default=Path(".data"), help="the running stack's data directory")
    return parser


def dead_letters(args) -> int:
    import boto3

    from devstack import dlq
    from devstack.runner import DEFAULT_REGION, STACK_NAME, local_aws_environment

    endpoint = args.endpoint
    if endpoint is None:
        runtime = args.data_dir / "runtime.json"
        if not runtime.exists():
            raise SystemExit(f"devstack: no {runtime}: is the stack running? (or pass --endpoint)")
        endpoint = json.loads(runtime.read_text())["moto"]
        os.environ.update(local_aws_environment(os.environ.get("AWS_REGION") or DEFAULT_REGION))
    sqs = boto3.client("sqs", endpoint_url=endpoint or None)
    queues = dlq.queues(sqs, args.stack or STACK_NAME, args.queue)
    if args.action == "inspect":
        messages = dlq.inspect(sqs, queues, args.limit)
        print(json.dumps({"queue": args.queue, "dlq": queues.dlq_url, "max_receive_count": queues.max_receive_count,
                          "messages": messages}, indent=2))
    else:
        print(json.dumps(dlq.redrive(sqs, queues), indent=2))
    return 0


def api_base(args) -> str:
    if args.api:
        return args.api.rstrip("/")
    runtime = args.data_dir / "runtime.json"
    if runtime.exists():
        try:
            return json.loads(runtime.read_text())["api"].rstrip("/")
        except (ValueError, KeyError):
            pass
    return f"http://127.0.0.1:{_env_int('PORT', 8000)}"


def control_headers(data_dir: Path) -> dict[str, str]:
    """The run's secret, which the control API requires (devstack/control.py)."""
    from devstack.control import TOKEN_HEADER, read_token, token_path

    token = read_token(data_dir)
    if token is None:
        raise SystemExit(f"devstack: no {token_path(data_dir)}: is the stack running with --data-dir {data_dir}?")
    return {"Content-Type": "application/json", TOKEN_HEADER: token}


def control_call(base: str, method: str, path: str, body: bytes | None = None, *,
                 data_dir: Path = Path(".data")) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/_devstack/{path}", data=body, method=method,
                                     headers=control_headers(data_dir))
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"{}")
        except ValueError:
            return err.code, {}
    except (urllib.error.URLError, ConnectionError) as err:
        raise SystemExit(f"devstack: no local stack answers at {base} ({getattr(err, 'reason', err)}); "
                         "start it with `make run` or pass --api") from None


def print_functions(functions: list[dict]) -> None:
    if not functions:
        print("  (the app has no SQS, schedule or Lambda functions)")
    for function in functions:
        print(f"  {function['name']:<32} {function['kind']:<9} {function.get('source') or ''}")


_RELATIVE = re.compile(r"^([+-])((?:\d+[dhm])+)$")


def fire_time(text: str) -> datetime:
    """`--at`: an ISO 8601 date or date-time (UTC unless it says otherwise), or an offset from now."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        sign, parts = relative.groups()
        units = {"d": "days", "h": "hours", "m": "minutes"}
        delta = timedelta(**{units[u]: int(n) for n, u in re.findall(r"(\d+)([dhm])", parts)})
        return datetime.now(UTC) + (delta if sign == "+" else -delta)
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give an ISO date or time (2026-12-01T09:00Z) or an offset (+3d, -2h)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def fire(args) -> int:
    base = api_base(args)
    body = None
    if getattr(args, "at", None) is not None:
        from devstack.runner import DEFAULT_REGION

        status, listing = control_call(base, "GET", "functions", data_dir=args.data_dir)
        kinds = {f["name"]: f["kind"] for f in listing.get("functions", [])} if status == 200 else {}
        if kinds.get(args.function_name, "schedule") != "schedule":
            print(f"devstack: --at is for schedules; {args.function_name} is a {kinds[args.function_name]} function "
                  "(give it --event, or nothing to poll its queue)", file=sys.stderr)
            return 2
        from devstack.schedules import scheduled_event

        # The whole EventBridge event, as the trigger would send it at that time (schedules read its `time`).
        event = scheduled_event(args.function_name, os.environ.get("AWS_REGION") or DEFAULT_REGION, args.at)
        body = json.dumps(event).encode()
    elif args.event is not None:
        try:
            json.loads(args.event)
        except ValueError:
            raise SystemExit("devstack: --event is not valid JSON") from None
        body = args.event.encode()
    status, answer = control_call(base, "POST", f"fire/{urllib.request.quote(args.function_name, safe='')}",
                                  body or b"", data_dir=args.data_dir)
    if status == 404 and "functions" in answer:
        print(f"devstack: no function named {args.function_name!r}. The running stack has:", file=sys.stderr)
        print_functions(answer["functions"])
        return 2
    if status != 200:
        error = answer.get("error", {})
        print(f"devstack: {args.function_name} failed: {error.get('message', status)}", file=sys.stderr)
        if answer.get("traceback"):
            print(answer["traceback"], file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2))
    return 0


def list_functions(args) -> int:
    status, answer = control_call(api_base(args), "GET", "functions", data_dir=args.data_dir)
    if status != 200:
        print(f"devstack: the stack answered {status}", file=sys.stderr)
        return 1
    print_functions(answer.get("functions", []))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from devstack.runner import Options, run

        code = run(Options(fresh=args.fresh, port=args.port, frontend_port=args.frontend_port,
                           moto_port=args.moto_port, data_dir=args.data_dir, seed=args.seed, host=args.listen,
                           pay_port=args.pay_port, verbose=args.verbose,
                           retry_after=max(0, args.retry_after), faults=args.faults,
                           built_frontend=args.built_frontend))
        # Everything is saved and stopped by now. Tearing down the interpreter (moto's
        # in-memory backends) takes seconds and achieves nothing: leave right away.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if args.command == "fire":
        return fire(args)
    if args.command == "dlq":
        return dead_letters(args)
    return list_functions(args)


if __name__ == "__main__":
    sys.exit(main())
