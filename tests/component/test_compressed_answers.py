"""JSON answers are gzipped for clients that accept it (the HTTP API does not compress; chalicelib/compression.py)."""

from __future__ import annotations

import gzip
import json

from chalicelib.compression import MIN_BYTES


def get(app_client, path: str, accept_encoding: str | None):
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding is not None else {}
    return app_client.http.get(path, headers=headers)


def test_a_catalogue_page_is_gzipped_for_a_browser_and_plain_for_a_client_that_does_not_ask(stack, app_client, catalog):
    plain = get(app_client, "/catalog/products?limit=50", None)
    zipped = get(app_client, "/catalog/products?limit=50", "gzip, deflate, br")
    refused = get(app_client, "/catalog/products?limit=50", "gzip;q=0, identity")

    assert len(plain.body) >= MIN_BYTES and "content-encoding" not in {k.lower() for k in plain.headers}
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["Vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(zipped.body)) == json.loads(plain.body)
    assert len(zipped.body) < len(plain.body) / 3
    assert "content-encoding" not in {k.lower() for k in refused.headers} and refused.body == plain.body


def test_small_answers_and_errors_stay_plain_and_request_bodies_read_as_before(stack, app_client):
    health = get(app_client, "/health", "gzip")
    assert "content-encoding" not in {k.lower() for k in health.headers}
    assert json.loads(health.body)["status"] == "ok"

    # A JSON request with no Accept header is answered (Chalice refuses that when JSON is a binary type).
    refused = app_client.http.post("/auth/signin", body=json.dumps({"email": "nobody@example.com", "password": "x"}),
                                   headers={"Content-Type": "application/json"})
    assert refused.status_code in (400, 401) and json.loads(refused.body)["error"]["code"]
