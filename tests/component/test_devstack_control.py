"""The runner's control API (`/_devstack/...`) is no back door for the web pages a developer visits.

A real API server (devstack.http) around a one-route Chalice app and a recording control, over
HTTP on 127.0.0.1: what a browser page (foreign Origin, no token, rebound Host) and what
`python -m devstack fire` (the token from the 0600 file) get.
"""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from chalice import Chalice

from devstack.control import TOKEN_HEADER, read_token, token_path, write_new_token

ROOT = Path(__file__).resolve().parents[2]


class RecordingControl:
    def __init__(self, token: str):
        self.token = token
        self.fired: list[tuple[str, object]] = []

    def functions(self) -> list[dict]:
        return [{"name": "payment_events_consumer", "kind": "sqs", "source": "payment-events"}]

    def fire(self, name: str, event):
        self.fired.append((name, event))
        return 200, {"function": name, "kind": "sqs", "result": None}

    def outbox(self) -> list[dict]:
        return [{"id": "m1", "subject": "Your order", "body": "secret reset link"}]


@pytest.fixture
def control_server(tmp_path):
    from chalice.config import Config

    from devstack.http import make_api_server, serve_in_thread

    app = Chalice("control-test")

    @app.route("/health")
    def health():
        return {"status": "ok"}

    control = RecordingControl(write_new_token(tmp_path))
    server = make_api_server(app, Config(), "127.0.0.1", 0, control)
    serve_in_thread(server.server, "api-test")
    port = server.server.server_address[1]
    try:
        yield port, control, tmp_path
    finally:
        server.server.shutdown()
        server.server.server_close()


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def test_the_token_file_is_readable_by_its_owner_only_and_new_at_each_start(tmp_path):
    first = write_new_token(tmp_path)
    mode = stat.S_IMODE(os.stat(token_path(tmp_path)).st_mode)
    assert mode == 0o600
    second = write_new_token(tmp_path)
    assert second != first and read_token(tmp_path) == second and len(second) >= 32


def test_a_web_page_cannot_read_the_outbox_or_fire_a_function(control_server):
    port, control, _ = control_server
    page = {"Origin": "https://evil.example", "Content-Type": "text/plain"}  # a simple request: no preflight
    forged_event = b'{"Records": [{"body": "{\\"type\\": \\"charge.dispute.created\\"}"}]}'

    for method, path, body in (("GET", "/_devstack/outbox", None), ("GET", "/_devstack/functions", None),
                               ("POST", "/_devstack/fire/payment_events_consumer", forged_event)):
        status, answer, headers = request(port, method, path, page, body)
        assert status in (401, 403), path
        assert "access-control-allow-origin" not in headers, path
        assert "secret reset link" not in json.dumps(answer)
    assert control.fired == []


def test_no_cors_preflight_is_granted_on_control_paths(control_server):
    port, _, _ = control_server
    status, _, headers = request(port, "OPTIONS", "/_devstack/outbox", {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": TOKEN_HEADER})
    assert status >= 400
    assert not any(name.startswith("access-control-") for name in headers)


def test_the_token_is_required_even_without_an_origin(control_server):
    port, control, _ = control_server
    for token in (None, "wrong", control.token[:-1]):
        headers = {TOKEN_HEADER: token} if token else {}
        status, answer, _ = request(port, "GET", "/_devstack/outbox", headers)
        assert (status, list(answer["error"]["fields"])) == (401, [TOKEN_HEADER]), token


def test_a_foreign_origin_is_refused_even_with_the_token(control_server):
    port, control, _ = control_server
    status, answer, _ = request(port, "GET", "/_devstack/outbox",
                                {TOKEN_HEADER: control.token, "Origin": "http://127.0.0.1:1"})
    assert (status, list(answer["error"]["fields"])) == (403, ["Origin"])


def test_a_rebound_host_name_is_refused(control_server):
    # DNS rebinding: evil.example now resolves to 127.0.0.1, the page talks to "its own" origin.
    port, control, _ = control_server
    status, answer, _ = request(port, "GET", "/_devstack/outbox",
                                {TOKEN_HEADER: control.token, "Host": f"evil.example:{port}"})
    assert (status, list(answer["error"]["fields"])) == (403, ["Host"])


def test_the_token_the_stack_wrote_opens_the_control_api(control_server):
    port, control, _ = control_server
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        status, answer, headers = request(port, "GET", "/_devstack/outbox", {TOKEN_HEADER: control.token, "Host": host})
        assert status == 200 and answer["messages"][0]["id"] == "m1"
        assert "access-control-allow-origin" not in headers


def test_devstack_fire_reads_the_token_from_the_data_dir(control_server):
    port, control, data_dir = control_server
    result = subprocess.run([sys.executable, "-m", "devstack", "fire", "payment_events_consumer",
                             "--api", f"http://127.0.0.1:{port}", "--data-dir", str(data_dir)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert control.fired == [("payment_events_consumer", None)]


def test_the_api_itself_keeps_answering_the_frontend_with_cors(control_server):
    port, _, _ = control_server
    status, _, headers = request(port, "GET", "/nope", {"Origin": "http://127.0.0.1:8080"})
    assert status == 404 and headers.get("access-control-allow-origin") == "*"
