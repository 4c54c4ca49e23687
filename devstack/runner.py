"""`python -m devstack run`: the whole marketplace in one process.

Start order (the API answers `/health` only once everything before it is ready):
moto server -> deploy infra/template.json -> local payment provider (devstack/localpay) ->
restore the snapshot -> seed the demo data -> SQS pumps, schedules, periodic snapshots ->
frontend server -> API server.
Ctrl-C / SIGTERM stops the servers and pumps, writes a last snapshot and exits 0.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from devstack import infra

ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "halles-local"
LOCAL_STAGE = "local"
CHALICE_STAGE = "dev"
DEFAULT_REGION = "eu-west-1"
# Local-only webhook signing secrets (the provider signs, the API verifies): not secrets.
LOCAL_WEBHOOK_SECRET = "whsec_local_halles"
LOCAL_CONNECT_WEBHOOK_SECRET = "whsec_local_halles_connect"

log = logging.getLogger("devstack")


def exposure_warning(host: str) -> str | None:
    """The loud warning for a stack listening beyond loopback; None on loopback."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        if host == "localhost":
            return None
    bar = "!" * 72
    return "\n".join([
        bar,
        f" WARNING: the local stack listens on {host}, not only on 127.0.0.1.",
        " Its users are in moto's Cognito, which signs tokens with a key published in moto's",
        " source code: ANYONE who can reach these ports can mint a token for any user, with the",
        " admin, shopper and vendor roles, and the API will accept it. Use this only on a network",
        " you trust completely; stop the stack when done (default: --listen 127.0.0.1).",
        bar,
    ])


class StartupError(RuntimeError):
    """A problem the user has to fix; printed without a traceback."""


@dataclass
class Options:
    fresh: bool = False
    port: int = 8000
    frontend_port: int = 8080
    moto_port: int = 0
    data_dir: Path = Path(".data")
    seed: bool = True
    host: str = "127.0.0.1"
    pay_port: int = 12111
    retry_after: int = 2  # seconds before a failed SQS message is visible again
    snapshot_every: float = 30.0
    verbose: bool = False  # print each request and invocation too, not only to <data_dir>/requests.log
    faults: Any = None  # a devstack.faults.FaultPlan: faults injected at its rates (`--faults`)
    built_frontend: bool = False  # serve the frontend as built for AWS (scripts/build_frontend.py), not frontend/


def configure_logging() -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s devstack %(levelname)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    # moto's server logs every AWS call, and its CloudFormation warns about the resource
    # types devstack.infra provisions itself: noise for someone running the marketplace.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::")
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def ensure_port_free(host: str, port: int, what: str) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StartupError(f"{what} port {port} on {host} is not free ({exc.strerror}); "
                               f"stop what uses it or choose another port") from None


def local_aws_environment(region: str) -> dict[str, str]:
    """Fake credentials for moto, so a developer's real AWS credentials are never used."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        # Stable user pool and client ids across restarts, so tokens issued before a restart
        # stay valid (moto derives the ids from the pool's name and settings).
        "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": os.environ.get("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH"),
        "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": os.environ.get(
            "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY", "HASH"),
    }


def chalice_config(app_object=None):
    """The stage config chalice local would use (its environment variables included)."""
    from chalice.config import Config

    params: dict[str, Any] = {"project_dir": str(ROOT)}
    if app_object is not None:
        params["chalice_app"] = app_object
    config_from_disk = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return Config(chalice_stage=CHALICE_STAGE, config_from_disk=config_from_disk, user_provided_params=params)


LOCK_FILE = "devstack.lock"
DRAIN_SECONDS = 5.0  # how long a stop may spend processing what the queues still hold


class DataDirLock:
    """One stack per data directory: two would overwrite each other's snapshot, token and runtime.json.

    An exclusive `flock` on `<data-dir>/devstack.lock`, held while the stack runs; the file names
    the holder's PID. The kernel drops the lock when its process dies, however it dies, so a lock
    file left by a dead process is simply taken over.
    """

    def __init__(self, data_dir: Path):
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StartupError(f"another local stack (PID {holder}) is already running with the data directory "
                               f"{self.path.parent}; stop it first, or start this one with another "
                               f"--data-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock; the file may stay, a stale file is harmless
            self._fd = None


def write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


class Stack:
    """Everything `run` starts, so that it can be stopped in reverse order."""

    def __init__(self, options: Options):
        self.options = options
        self.stop_event = threading.Event()
        self.region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION
        self.moto = None
        self.moto_url = ""
        self.deployment: infra.Deployment | None = None
        self.session = None
        self.app = None
        self.functions: dict = {}
        self.pumps: dict = {}
        self.schedules: dict = {}
        self.snapshotter = None
        self.snapshot_document: dict | None = None
        self.payments = None
        self.frontend_server = None
        self.api_server = None
        self.credentials: dict | None = None
        self.restored = None
        self.config = None
        self.snapshots_enabled = False  # never overwrite a snapshot we could not restore
        self.data_dir = options.data_dir.resolve()
        self.requests_log: Path | None = None  # set by run() (devstack/console.py)
        self.control_token = ""  # the control API's secret, new at each start (devstack/control.py)
        self.lock = DataDirLock(self.data_dir)

    # -- start ------------------------------------------------------------------------

    def start(self) -> None:
        opts = self.options
        self.lock.acquire()  # before anything is written into the data directory
        warning = exposure_warning(opts.host)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        ensure_port_free(opts.host, opts.port, "API")
        ensure_port_free(opts.host, opts.frontend_port, "frontend")
        ensure_port_free("127.0.0.1", opts.moto_port, "moto")
        ensure_port_free(opts.host, opts.pay_port, "payments")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if opts.faults is not None:
            from devstack import faults

            faults.install(opts.faults)  # before the first botocore session: each new one gets the hooks
            log.warning("injecting faults: %s", opts.faults.describe())
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(local_aws_environment(self.region))
        self._start_moto()
        self._apply_stage_environment()
        self._deploy()
        self._read_snapshot()
        self._start_payments()
        self._load_app()
        self._restore()
        self.snapshots_enabled = True
        self._seed()
        self._start_functions()
        self.snapshotter.start_periodic(self.stop_event, opts.snapshot_every)
        self._start_frontend()
        from devstack.control import write_new_token

        self.control_token = write_new_token(self.data_dir)
        self._start_api()
        write_json_atomically(self.data_dir / "runtime.json", {
            "pid": os.getpid(), "api": self.api_url, "frontend": self.frontend_url, "moto": self.moto_url,
            "payments": self.payments.url if self.payments else None,
        })

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from devstack.moto_dynamodb import serialize_dynamodb

        serialize_dynamodb()  # moto's transactions are not isolated from concurrent requests
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.options.moto_port, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = self.moto_url
        log.info("moto is serving AWS on %s", self.moto_url)

    def _apply_stage_environment(self) -> None:
        # As `chalice local --stage dev` would (before the app is imported: Powertools reads its
        # log level then), with the local stage on top.
        os.environ.update(chalice_config().environment_variables)
        os.environ["HALLES_STAGE"] = LOCAL_STAGE
        # The app's local shortcuts (auto-confirmed sign-ups, localhost return URLs, default
        # resource names) are enabled by this explicit switch only, never by a missing value.
        os.environ["HALLES_LOCAL_MODE"] = "1"
        # Links the API sends browsers to (Stripe onboarding's return, payment returns) lead to the
        # frontend this stack serves, on whatever port it was given.
        os.environ["HALLES_FRONTEND_URL"] = self.frontend_url
        # Unsubscribe links in e-mails point at this API.
        os.environ["HALLES_PUBLIC_API_URL"] = self.api_url

    def _deploy(self) -> None:
        import boto3

        self.session = boto3.Session(region_name=self.region)
        started = time.monotonic()
        try:
            self.deployment = infra.deploy(self.session, STACK_NAME)
        except infra.DeployError as exc:
            raise StartupError(f"deploying infra/template.json into moto failed: {exc}") from None
        os.environ.update(self.deployment.environment)
        log.info("infra/template.json deployed as %s (%.1f s)", STACK_NAME, time.monotonic() - started)

    def _load_app(self) -> None:
        from devstack import snapshot
        from devstack.functions import discover

        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        self.app = importlib.import_module("app").app
        self.config = chalice_config(self.app)
        self.functions = discover(self.app)
        if self.options.faults is not None:
            from dataclasses import replace

            from devstack.faults import as_function

            self.functions = {name: replace(function, handler=as_function(function.handler))
                              for name, function in self.functions.items()}
        template = infra.load_template()
        tables = snapshot.stack_tables(template, self.deployment.physical)
        extra = {"localpay": self.payments.to_json} if self.payments else {}
        self.snapshotter = snapshot.Snapshotter(self.snapshot_path, self.session, tables,
                                                self.deployment.environment["HALLES_USER_POOL_ID"], self.region,
                                                extra_sections=extra,
                                                queues=snapshot.stack_queues(template, self.deployment.physical),
                                                buckets=snapshot.stack_buckets(template, self.deployment.physical))

    @property
    def snapshot_path(self) -> Path:
        return self.data_dir / "snapshot.json"

    def _read_snapshot(self) -> None:
        from devstack import snapshot

        if self.options.fresh:
            if self.snapshot_path.exists():
                self.snapshot_path.unlink()
                log.info("--fresh: starting empty (the previous snapshot was removed)")
            return
        try:
            self.snapshot_document = snapshot.read_document(self.snapshot_path)
        except RuntimeError as exc:
            raise StartupError(str(exc)) from None

    def _start_payments(self) -> None:
        """The local Stripe-compatible provider (devstack/localpay), its webhooks sent to our API."""
        from devstack.localpay import LocalPaymentProvider

        api = f"http://127.0.0.1:{self.options.port}"
        state = (self.snapshot_document or {}).get("localpay")
        self.payments = LocalPaymentProvider(
            LOCAL_WEBHOOK_SECRET, f"{api}/webhooks/stripe",
            public_url=f"http://{self._display_host}:{self.options.pay_port}",
            connect_webhook_secret=LOCAL_CONNECT_WEBHOOK_SECRET, connect_deliver=f"{api}/webhooks/stripe/connect",
            state=state,
            # Tests that watch a payment while it is `processing` lengthen it (README: processing cards).
            processing_delay=float(os.environ.get("HALLES_LOCALPAY_PROCESSING_DELAY") or 3.0),
        )
        try:
            self.payments.start(self.options.host, self.options.pay_port)
        except OSError as exc:
            self.payments = None
            raise StartupError(f"cannot serve the local payment provider on port {self.options.pay_port}: "
                               f"{exc}") from None
        os.environ.update(self.payments.environment())
        if self.options.faults is not None:
            from devstack.faults import provider_chooser

            self.payments.chaos = provider_chooser(self.options.faults)
            self.payments.chaos_hold_seconds = self.options.faults.provider_timeout_seconds
        log.info("local payment provider (Stripe API) on %s", self.payments.url)

    def _restore(self) -> None:
        if not self.snapshot_document:
            return
        try:
            self.restored = self.snapshotter.restore(self.snapshot_document)
        except Exception as exc:
            raise StartupError(f"restoring {self.snapshot_path} failed ({exc}); fix it, or start with --fresh "
                               "to discard it") from None
        if self.restored:
            log.info("restored %d item(s), %d user(s) and %d queued message(s) from %s (taken %s)",
                     self.restored.items, self.restored.users, self.restored.messages, self.snapshotter.path,
                     self.restored.taken_at)
            self._migrate_restored()

    def _migrate_restored(self) -> None:
        """Data saved before the listing entry moved onto offers (2026-11) is migrated as a deployed stage is
        (chalicelib/services/product_summaries.py `migrate_listings`): only the products still in the old layout."""
        from chalicelib.services.product_summaries import migrate_listings

        moved = migrate_listings()
        if moved:
            log.info("moved the listing entries of %d product(s) saved before 2026-11 onto their best offers", moved)

    def _seed(self) -> None:
        credentials_file = self.data_dir / "credentials.json"
        if not self.options.seed:
            if self.options.fresh:
                credentials_file.unlink(missing_ok=True)
            return
        try:
            seed = importlib.import_module("devstack.seed")
        except ModuleNotFoundError as exc:
            if exc.name != "devstack.seed":
                raise
            log.warning("devstack/seed.py does not exist yet: no demo data")
            return
        started = time.monotonic()
        self.credentials = seed.seed_demo(payments=self.payments)
        write_json_atomically(credentials_file, self.credentials)
        log.info("demo data seeded (%.1f s)", time.monotonic() - started)

    def context_factory(self, function_name: str):
        from devstack.functions import lambda_context

        return lambda_context(self.app.app_name, LOCAL_STAGE, function_name, self.region,
                              timeout_seconds=int(self.config.lambda_timeout or 60),
                              memory_mb=int(self.config.lambda_memory_size or 512))

    def _start_functions(self) -> None:
        from devstack.pump import SqsPump
        from devstack.schedules import ScheduleRunner, UnsupportedSchedule

        sqs = self.session.client("sqs")
        for name, function in self.functions.items():
            if function.kind == "sqs":
                url = self._queue_url(sqs, function)
                if url is None:
                    log.warning("%s listens to queue %r, which the template does not bind "
                                "(Metadata.Halles::QueueBindings): not pumped", name, function.queue)
                    continue
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                pump = SqsPump(function, url, arn, sqs, self.region, partial(self.context_factory, name),
                               retry_after=self.options.retry_after, faults=self.options.faults)
                pump.start(self.stop_event)
                self.pumps[name] = pump
            elif function.kind == "schedule":
                try:
                    runner = ScheduleRunner(function, self.region, partial(self.context_factory, name))
                except UnsupportedSchedule as exc:
                    log.warning("%s: %s; it will not run on its own (use `devstack fire %s`)", name, exc, name)
                    continue
                runner.start(self.stop_event)
                self.schedules[name] = runner

    def _queue_url(self, sqs, function) -> str | None:
        if function.queue:
            return self.deployment.queues.get(function.queue)
        if function.queue_arn:
            name = function.queue_arn.rsplit(":", 1)[-1]
            try:
                return sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except Exception:
                return None
        return None

    def _start_frontend(self) -> None:
        from devstack.http import make_frontend_server, serve_in_thread

        directory = ROOT / "frontend"
        if self.options.built_frontend:
            # What users in AWS get: hashed names, long-cache headers (the bench measures this).
            from scripts.build_frontend import BuildError, build

            directory = self.data_dir / "frontend-build"
            try:
                build(directory)
            except BuildError as exc:
                raise StartupError(f"cannot build the frontend: {exc}") from None
        try:
            self.frontend_server = make_frontend_server(directory, self.options.host, self.options.frontend_port,
                                                        self.options.port, media_origins=(self.moto_url,))
        except OSError as exc:
            raise StartupError(f"cannot serve the frontend on port {self.options.frontend_port}: {exc}") from None
        serve_in_thread(self.frontend_server, "frontend")

    def _start_api(self) -> None:
        from devstack.http import make_api_server, serve_in_thread

        try:
            self.api_server = make_api_server(self.app, self.config, self.options.host,
                                              self.options.port, RunnerControl(self))
        except OSError as exc:
            raise StartupError(f"cannot serve the API on port {self.options.port}: {exc}") from None
        serve_in_thread(self.api_server.server, "api")

    # -- urls / banner ----------------------------------------------------------------

    @property
    def _display_host(self) -> str:
        return "127.0.0.1" if self.options.host in ("0.0.0.0", "::", "") else self.options.host

    @property
    def api_url(self) -> str:
        return f"http://{self._display_host}:{self.options.port}"

    @property
    def frontend_url(self) -> str:
        return f"http://{self._display_host}:{self.options.frontend_port}"

    def banner(self) -> str:
        from devstack.control import token_path

        lines = [
            "",
            "=" * 72,
            " Halles is running (local stage: moto + chalice local)",
            "=" * 72,
            f"  Frontend     {self.frontend_url}"
            + ("   (built: hashed names, long-cache)" if self.options.built_frontend else ""),
            f"  API          {self.api_url}        OpenAPI: {self.api_url}/openapi.json",
            f"  AWS (moto)   {self.moto_url}      (AWS_ENDPOINT_URL for boto3 / aws cli)",
            f"  Payments     {self.payments.url if self.payments else '-'}      (local Stripe API and payment page)",
            f"  Mail outbox  {self.frontend_url}/_outbox   (rendered; JSON: {self.api_url}/_devstack/outbox)",
            f"  Control      X-Devstack-Token: {self.control_token}",
            f"               (for /_devstack/*; new at each start, also in {token_path(self.data_dir)})",
            f"  Data         {self.snapshotter.path}"
            + (" (fresh)" if self.options.fresh else
               f" (restored {self.restored.items} items, {self.restored.users} users)" if self.restored else ""),
        ]
        if self.payments is not None:
            # Fixed, local-only values (the provider signs with them, the API verifies them): printed
            # so that a developer can sign a test webhook or point the Stripe SDK / CLI at the provider.
            env = self.payments.environment()
            lines.append("  Local keys   (fixed, valid only against this stack's payment provider)")
            lines.extend(f"    {name:<31} {env[name]}" for name in (
                "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                "STRIPE_CONNECT_WEBHOOK_SECRET") if env.get(name))
            lines.append(f"  Pay controls {self.payments.url}/_localpay/...  (balance, disputes won/lost, failing "
                         "refunds: see README)")
        consumers = [n for n, f in self.functions.items() if f.kind == "sqs"]
        scheduled = [f"{n} [{f.schedule}]" for n, f in self.functions.items() if f.kind == "schedule"]
        if consumers or scheduled:
            lines.append(f"  Functions    {', '.join(consumers + scheduled)}")
            lines.append("               run one now: python -m devstack fire <name>")
        if self.credentials:
            lines.append("")
            lines.append("  Demo accounts (also in " + str(self.data_dir / "credentials.json") + "):")
            lines.extend(f"    {line}" for line in credential_lines(self.credentials))
        if self.options.faults is not None:
            lines += ["", f"  FAULTS       {self.options.faults.describe()}",
                      f"               (what was injected: {self.api_url}/_devstack/faults)"]
        if self.requests_log is not None and not self.options.verbose:
            lines += ["", f"  Request log  {self.requests_log}",
                      "               (each request and function run; warnings and errors show here too,",
                      "               and everything with `make run ARGS=--verbose`)"]
        lines += ["", "  Ctrl-C stops the stack; data is kept (start with --fresh to reset).", "=" * 72, ""]
        warning = exposure_warning(self.options.host)
        if warning:
            lines += [warning, ""]
        return "\n".join(lines)

    # -- stop -------------------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()  # pumps and schedules finish their current poll / wait
        servers = [s for s in (self.api_server.server if self.api_server else None, self.frontend_server) if s]
        closers = [threading.Thread(target=server.shutdown) for server in servers]  # each waits up to 0.5 s
        for closer in closers:
            closer.start()
        for closer, server in zip(closers, servers):
            closer.join()
            server.server_close()
        for worker in [*self.pumps.values(), *self.schedules.values(), self.snapshotter]:
            if worker is not None:
                worker.join(3)
        if self.pumps and self.snapshots_enabled:
            # The API takes nothing more: finish what it accepted (a webhook just before Ctrl-C)
            # while the payment provider still answers; the snapshot keeps whatever is left.
            from devstack.pump import drain

            left = drain(list(self.pumps.values()), DRAIN_SECONDS)
            if left:
                log.info("%d queued message(s) kept for the next start", left)
        if self.payments is not None:
            self.payments.stop()  # undelivered webhooks stay in its state, saved below
        if self.snapshots_enabled:
            try:
                if self.snapshotter.save():
                    log.info("snapshot saved to %s", self.snapshotter.path)
            except Exception:
                log.exception("the last snapshot failed; data since the previous one is lost")
        if self.moto is not None:
            self.moto.stop()
        if self.lock.held:  # a stack refused for the lock leaves the running one's files alone
            (self.data_dir / "runtime.json").unlink(missing_ok=True)
            self.lock.release()


def credential_lines(credentials: Any, label: str = "") -> list[str]:
    """Readable lines for whatever shape seed_demo() returns (role -> account, lists of accounts...)."""
    if isinstance(credentials, dict) and "email" in credentials:
        role = credentials.get("role") or label
        shown = f"{role} ({credentials['name']})" if credentials.get("name") and role != label else role
        return [f"{shown:<30} {credentials['email']:<30} {credentials.get('password', '')}"]
    if isinstance(credentials, dict) and "email" not in json.dumps(credentials, default=str):
        return [f"{label}: " + ", ".join(f"{v} {k}" for k, v in credentials.items())] if label else []
    if isinstance(credentials, dict):
        return [line for key, value in credentials.items() for line in credential_lines(value, str(key))]
    if isinstance(credentials, list):
        return [line for value in credentials for line in credential_lines(value, label)]
    return [f"{label}: {credentials}"] if label else [str(credentials)]


class RunnerControl:
    """What `/_devstack/...` exposes to `python -m devstack fire` (loopback, with the run's token)."""

    def __init__(self, stack: Stack):
        self.stack = stack

    @property
    def token(self) -> str:
        return self.stack.control_token

    def functions(self) -> list[dict]:
        return [f.describe() for f in self.stack.functions.values()]

    def fire(self, name: str, event: dict | None) -> tuple[int, dict]:
        function = self.stack.functions.get(name)
        if function is None:
            return 404, {
                "error": {"code": "unknown_function", "message": f"No function named {name!r}.",
                          "fields": {"name": "unknown"}, "correlation_id": ""},
                "functions": self.functions(),
            }
        try:
            if function.kind == "sqs" and event is None and name in self.stack.pumps:
                result: Any = self.stack.pumps[name].poll_once(wait_seconds=0).as_dict()
            elif function.kind == "schedule" and event is None and name in self.stack.schedules:
                result = self.stack.schedules[name].fire()
            else:
                if event is None and function.kind == "schedule":
                    from devstack.schedules import scheduled_event

                    event = scheduled_event(name, self.stack.region)
                result = function.handler(event or {}, self.stack.context_factory(name))
        except Exception as exc:
            log.exception("fire %s failed", name)
            return 500, {"error": {"code": "function_failed", "message": f"{type(exc).__name__}: {exc}",
                                   "fields": {}, "correlation_id": ""},
                         "traceback": traceback.format_exc(limit=8)}
        logging.getLogger("devstack.activity").info("fired %s", name)
        return 200, {"function": name, "kind": function.kind, "result": json.loads(json.dumps(result, default=str))}

    def faults(self) -> dict:
        """The faults of `--faults` and how many of each were injected so far (none: rates empty)."""
        plan = self.stack.options.faults
        return plan.report() if plan is not None else {"rates": {}, "seed": None, "injected": {}, "total": 0}

    def outbox(self) -> list[dict]:
        """The mails moto's SES accepted, newest last, parsed (devstack/outbox.py: subject, text, HTML)."""
        from devstack.outbox import sent_mails

        return [{"id": mail.message_id, "number": mail.number, "source": mail.headers.get("From"),
                 "destinations": mail.to, "subject": mail.subject, "body": mail.text, "html": mail.html,
                 "headers": mail.headers}
                for mail in sent_mails(self.stack.region)]


def run(options: Options) -> int:
    from devstack import console

    configure_logging()
    stack = Stack(options)
    stdout = sys.stdout
    stack.requests_log = console.configure(stack.data_dir, options.verbose)
    # Before the app is imported: Powertools' Logger keeps the sys.stdout it finds then.
    sys.stdout = console.AppOutput(stdout, options.verbose)
    stopping = threading.Event()
    first_signal: list[float] = []

    def request_stop(signum, frame) -> None:
        # A second Ctrl-C stops at once; the same signal relayed twice (by `timeout`, a
        # process group and its leader...) within a second is not a second Ctrl-C.
        if first_signal and time.monotonic() - first_signal[0] > 1.0:
            os._exit(130)
        first_signal[:] = first_signal or [time.monotonic()]
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            stack.start()
        except StartupError as exc:
            print(f"devstack: {exc}", file=sys.stderr, flush=True)
            stack.stop()
            return 2
        except Exception:
            log.exception("the local stack could not start")
            stack.stop()
            return 1
        if stopping.is_set():
            stack.stop()
            return 0
        print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            pass
        log.info("stopping...")
        stack.stop()
        log.info("stopped")
        return 0
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        for sig, handler in previous.items():
            signal.signal(sig, handler)
