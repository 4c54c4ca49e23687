"""The local frontend server (devstack/http.py) sends the security headers CloudFront sends in AWS, the
Content-Security-Policy built by the same function (scripts/frontend_security.py), on the pages, their
assets and config.js; the developer's outbox (its own inline style, loopback only) goes without."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from devstack.http import make_frontend_server, serve_in_thread
from scripts.frontend_security import content_security_policy

ROOT = Path(__file__).resolve().parents[2]
MOTO = "http://127.0.0.1:5999"


@pytest.fixture
def server():
    httpd = make_frontend_server(ROOT / "frontend", "127.0.0.1", 0, 8123, media_origins=(MOTO,))
    serve_in_thread(httpd, "frontend-test")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _headers(url: str):
    with urllib.request.urlopen(url) as response:  # noqa: S310 - a local test server
        return response.headers


@pytest.mark.parametrize("path", ["/", "/index.html", "/app.js", "/styles.css", "/config.js", "/orders"])
def test_pages_assets_and_config_carry_the_policy_cloudfront_sends(server, path):
    headers = _headers(server + path)
    assert headers["Content-Security-Policy"] == content_security_policy(["http://127.0.0.1:8123"], [MOTO])
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_policy_names_the_api_and_the_local_s3_for_images_and_uploads(server):
    directives = {part.split()[0]: part.split()[1:]
                  for part in _headers(server + "/")["Content-Security-Policy"].split("; ")}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    for directive in ("img-src", "connect-src"):
        assert {"http://127.0.0.1:8123", MOTO} <= set(directives[directive]), directive


def test_the_outbox_a_developer_reads_is_not_under_the_storefronts_policy(server):
    assert "Content-Security-Policy" not in _headers(server + "/_outbox")
