"""The local stack's HTTP servers: the API (chalice local) and the static frontend.

The API server is chalice's own LocalDevServer (threaded) with a request handler that
differs from chalice local in what API Gateway would do for Halles in AWS:
- a path no route matches answers 404 in the project's error shape (chalice local, like a
  bare API Gateway, answers 403 "Missing Authentication Token"; Halles configures a
  GatewayResponse in AWS, see chalicelib/gateway_responses.py); a known path with a method
  it does not have answers 405;
- a body over API Gateway's 10 MB limit is refused with 413 before it is read;
- `/_devstack/...` is the runner's control API (fire a function, list functions, count the faults
  injected under `--faults`, read the mails SES "sent"). It is no back door for the web pages a
  developer visits: it answers loopback clients only, never with CORS headers, only for a `Host`
  naming this server on 127.0.0.1/localhost (against DNS rebinding), never to a request with a
  foreign `Origin`, and only with the run's secret in `X-Devstack-Token` (devstack/control.py);
- under `--faults`, a request during which the app's function dies (devstack/faults.py) answers
  502, as API Gateway does for a crashed Lambda.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
    ThreadedHTTPServer,
)

from chalicelib.api import correlation_id_of, error_body
from chalicelib.compression import accepts_gzip
from chalicelib.gateway_responses import method_not_allowed_body, route_not_found_body
from devstack import faults
from devstack.control import TOKEN_HEADER
from scripts.build_frontend import cache_control

log = logging.getLogger("devstack")
activity = logging.getLogger("devstack.activity")  # requests.log (devstack/console.py)

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
CONTROL_PREFIX = "/_devstack/"


class Control(Protocol):
    token: str

    def functions(self) -> list[dict]: ...

    def fire(self, name: str, event: dict | None) -> tuple[int, dict]: ...

    def outbox(self) -> list[dict]: ...

    def faults(self) -> dict: ...


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class ApiRequestHandler(ChaliceRequestHandler):
    def __init__(self, request, client_address, server, app_object, config, route_matcher: RouteMatcher,
                 control: Control | None):
        # Set before the base class runs: BaseHTTPRequestHandler handles the request in __init__.
        self.app_object = app_object
        self.route_matcher = route_matcher
        self.control = control
        super().__init__(request, client_address, server, app_object, config)

    def _generic_handle(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            return self._handle_control(path)
        length = self._content_length()
        if length > API_GATEWAY_MAX_BODY:
            self.close_connection = True
            return self._send_json(413, error_body("payload_too_large", "The request body is larger than 10 MB.",
                                                   {"body": "too large"}, self._correlation_id()))
        try:
            match = self.route_matcher.match_route(self.path)
        except ValueError:
            self._discard_body(length)
            return self._send_json(404, route_not_found_body(self._correlation_id(), self.command, path))
        methods = self.app_object.routes[match.route]
        if self.command != "OPTIONS" and self.command not in methods:
            self._discard_body(length)
            allowed = sorted(methods)
            return self._send_json(405, method_not_allowed_body(self._correlation_id(), self.command, path, allowed),
                                   {"Allow": ", ".join([*allowed, "OPTIONS"])})
        # The app's code runs here: under `--faults` its DynamoDB calls may fail or it may die (devstack/faults.py).
        try:
            with faults.armed():
                return super()._generic_handle()
        except faults.InjectedCrash:
            # A Lambda that dies mid-request: API Gateway answers 502, whatever the function did before.
            self.close_connection = True
            return self._send_json(502, error_body("function_crashed", "The function died before it answered.",
                                                   {}, self._correlation_id()))

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle
    do_TRACE = do_CONNECT = _generic_handle  # answered 404/405 JSON like any unknown route or method

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        """The access log: one line per request, to requests.log (the console with --verbose)."""
        activity.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        log.warning("API %s: %s", self.address_string(), format % args)

    # -- helpers ----------------------------------------------------------------------

    def _content_length(self) -> int:
        try:
            return max(0, int(self.headers.get("content-length") or 0))
        except ValueError:
            return 0

    def _discard_body(self, length: int) -> None:
        if length:
            self.rfile.read(length)

    def _correlation_id(self) -> str:
        return correlation_id_of(dict(self.headers), None)

    def _send_json(self, status: int, body: Any, headers: dict | None = None, *, cors: bool = True) -> None:
        raw = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        correlation = body.get("error", {}).get("correlation_id") if isinstance(body, dict) else None
        if correlation:
            self.send_header("X-Correlation-Id", correlation)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _local_hosts(self) -> set[str]:
        port = self.server.server_address[1]
        return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}

    def _control_refusal(self) -> tuple[int, dict] | None:
        """Why this control request is refused (status, error body), or None."""
        correlation_id = self._correlation_id()
        hosts = self._local_hosts()
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in hosts:
            # A rebound DNS name (evil.example -> 127.0.0.1) arrives with its own Host.
            return 403, error_body("foreign_host", "The control API answers only to 127.0.0.1 or localhost.",
                                   {"Host": "must be 127.0.0.1 or localhost with this port"}, correlation_id)
        origin = self.headers.get("Origin")
        if origin is not None and origin.strip().rstrip("/").lower() not in {f"http://{h}" for h in hosts}:
            return 403, error_body("foreign_origin", "The control API refuses requests from web pages.",
                                   {"Origin": "not this stack"}, correlation_id)
        token = self.headers.get(TOKEN_HEADER) or ""
        if not hmac.compare_digest(token.encode(), self.control.token.encode()):
            return 401, error_body("devstack_token_required",
                                   f"Send the run's secret (printed in the banner, in <data-dir>/devstack-token) "
                                   f"in {TOKEN_HEADER}.", {TOKEN_HEADER: "missing or wrong"}, correlation_id)
        return None

    def _handle_control(self, path: str) -> None:
        length = self._content_length()
        raw = self.rfile.read(length) if length else b""
        send = functools.partial(self._send_json, cors=False)  # never readable by another origin
        if self.control is None or not _is_loopback(self.client_address[0]):
            return send(404, route_not_found_body(self._correlation_id(), self.command, path))
        refusal = self._control_refusal()
        if refusal is not None:
            return send(*refusal)
        action = path[len(CONTROL_PREFIX):].strip("/")
        if action == "functions" and self.command == "GET":
            return send(200, {"functions": self.control.functions()})
        if action == "outbox" and self.command == "GET":
            return send(200, {"messages": self.control.outbox()})
        if action == "faults" and self.command == "GET":
            return send(200, self.control.faults())
        if action.startswith("fire/") and self.command == "POST":
            try:
                event = json.loads(raw) if raw.strip() else None
            except ValueError:
                return send(400, error_body("invalid_json", "The event is not valid JSON.",
                                            {"body": "invalid JSON"}, self._correlation_id()))
            status, body = self.control.fire(unquote(action[len("fire/"):]), event)
            return send(status, body)
        return send(404, route_not_found_body(self._correlation_id(), self.command, path))


class ApiHTTPServer(ThreadedHTTPServer):
    # socketserver listens with a backlog of 5: a burst of parallel clients (a checkout rush, a
    # page loading its assets) would see connections reset before a thread ever takes them.
    request_queue_size = 128


def make_api_server(app_object, config, host: str, port: int, control: Control | None) -> LocalDevServer:
    if not isinstance(app_object, LocalChalice):
        # What chalice.local.create_local_server() does: make `app.current_request`
        # thread-local, which the threaded server needs.
        CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
        app_object.__class__ = CustomLocalChalice
    handler = functools.partial(ApiRequestHandler, route_matcher=RouteMatcher(list(app_object.routes)),
                                control=control)
    return LocalDevServer(app_object, config, host, port, handler_cls=handler, server_cls=ApiHTTPServer)


# ---- frontend ---------------------------------------------------------------------------

def config_js(api_port: int, host: str) -> bytes:
    if host in ("0.0.0.0", "::", ""):
        # Reached from another machine: the API is on the same host name as the page.
        api_base = f'location.protocol + "//" + location.hostname + ":{api_port}"'
    else:
        api_base = json.dumps(f"http://{host}:{api_port}")
    return f"window.HALLES_CONFIG = {{apiBase: {api_base}}};\n".encode()


def _is_outbox(path: str) -> bool:
    return path == "/_outbox" or path.startswith("/_outbox/")


def api_origin(api_port: int, host: str) -> str:
    """Where the pages call the API from config_js: any host name on that port when served to other machines."""
    return f"http://*:{api_port}" if host in ("0.0.0.0", "::", "") else f"http://{host}:{api_port}"


# What the frontend server gzips: text, which shrinks 3-5x (images other than SVG are compressed already).
COMPRESSIBLE_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
GZIP_LEVEL = 9  # done once per file version (cached below), so the smallest output is worth its time


@functools.lru_cache(maxsize=512)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """A file's gzip encoding, kept per version of the file (path, mtime, size): an edit makes a new one."""
    import gzip

    # mtime=0: the same bytes for the same file, so the encoding is reproducible and comparable.
    return gzip.compress(Path(path).read_bytes(), compresslevel=GZIP_LEVEL, mtime=0)


class FrontendHandler(SimpleHTTPRequestHandler):
    """The static site: frontend/ as it is (`make run`) or as built for AWS (`devstack run --built-frontend`).

    Text files go out gzip-encoded to a client that accepts it (`Vary: Accept-Encoding` either way).
    Cache-Control follows scripts/build_frontend.py's rule, the one S3/CloudFront get: a content-hashed
    name (`app.3f2a9c1b7d.js`, only in a built site) is cached for a year, anything else (the source
    tree's files, whose names do not change when they do, index.html, config.js) is revalidated.
    """

    def __init__(self, *args, config_body: bytes, security_headers: dict[str, str] | None = None, **kwargs):
        self.config_body = config_body
        self.cache_control = "no-cache"
        # The Content-Security-Policy and other headers CloudFront sends in AWS (scripts/frontend_security.py),
        # so the pages run locally, and in every browser test, under the policy they get in production.
        self.security_headers = security_headers or {}
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        path = urlsplit(self.path).path
        if path == "/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(self.config_body)))
            self.end_headers()
            self.wfile.write(self.config_body)
            return
        if _is_outbox(path):
            return self._outbox(path)
        # Single-page app: an unknown path without a file extension is a client-side route.
        target = Path(self.translate_path(path))
        if not target.exists() and "." not in path.rsplit("/", 1)[-1]:
            self.path = "/index.html"
            target = Path(self.translate_path("/index.html"))
        if target.is_dir():
            target = target / "index.html"
        # A 404 is never cached: the file may be there after the next build.
        self.cache_control = cache_control(target.name) if target.is_file() else "no-cache"
        if target.is_file() and self.guess_type(str(target)).startswith(COMPRESSIBLE_TYPES):
            return self._send_compressible(target)
        super().do_GET()

    def _send_compressible(self, target: Path) -> None:
        stat = target.stat()
        last_modified = self.date_time_string(int(stat.st_mtime))
        if self.headers.get("If-Modified-Since") == last_modified:
            # A revalidation (no-cache) of an unchanged file: nothing to send again.
            self.send_response(304)
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        if accepts_gzip(self.headers.get("Accept-Encoding")):
            body, encoding = _gzipped(str(target), stat.st_mtime_ns, stat.st_size), "gzip"
        else:
            body, encoding = target.read_bytes(), None
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(target)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", last_modified)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _outbox(self, path: str) -> None:
        """The e-mails sent through moto's SES, rendered (devstack/outbox.py); loopback clients only."""
        import os

        from devstack.outbox import respond

        if not _is_loopback(self.client_address[0]):
            status, content_type, body = 404, "text/plain; charset=utf-8", "Not found\n"
        else:
            status, content_type, body = respond(path, os.environ.get("AWS_REGION") or "eu-west-1")
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(payload)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", self.cache_control)
        if not _is_outbox(urlsplit(self.path).path):  # a developer's tool with its own inline style
            for name, value in self.security_headers.items():
                self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        pass


def make_frontend_server(directory: Path, host: str, port: int, api_port: int,
                         media_origins: tuple[str, ...] = ()) -> ThreadingHTTPServer:
    """`media_origins`: where images are shown from and uploaded to besides the API (the local S3, moto)."""
    from scripts.frontend_security import local_headers

    headers = local_headers([api_origin(api_port, host)], media_origins)
    handler = functools.partial(FrontendHandler, directory=str(directory), config_body=config_js(api_port, host),
                                security_headers=headers)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server, name: str) -> threading.Thread:
    target = server.serve_forever
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
