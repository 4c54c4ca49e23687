"""The OpenAPI document is the contract: it must list exactly the routes the app serves."""

from __future__ import annotations

import json
from typing import Literal

import openapi_spec_validator
import pytest
from chalice import Blueprint, Chalice
from pydantic import BaseModel, Field

import app as halles
from chalicelib import api
from chalicelib.openapi import Error, build_document, openapi_path, registered_operations
from tests.fixtures.aws import call

PREFLIGHT = "OPTIONS"


@pytest.fixture(scope="module")
def document():
    return build_document(halles.app)


def _app_operations(app) -> set[tuple[str, str]]:
    return {(openapi_path(p), m) for p, m, _ in registered_operations(app) if m != PREFLIGHT}


def _doc_operations(doc) -> set[tuple[str, str]]:
    return {(p, m.upper()) for p, item in doc["paths"].items() for m in item}


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolves(doc, ref: str) -> bool:
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_route_of_the_app_is_in_the_document_and_nothing_else(document):
    assert _app_operations(halles.app) == _doc_operations(document)


def test_every_route_of_the_app_was_declared_through_api_route():
    undeclared = [(p, m) for p, m, spec in registered_operations(halles.app) if m != PREFLIGHT and spec is None]
    assert undeclared == [], "declare these with chalicelib.api.route so they are validated and documented"
    specs = [spec for _, m, spec in registered_operations(halles.app) if m != PREFLIGHT]
    assert all(any(spec is known for known in api.ROUTES) for spec in specs)


def test_every_reference_resolves(document):
    missing = sorted({ref for ref in _refs(document) if not _resolves(document, ref)})
    assert missing == []


def test_the_document_is_valid_openapi(document):
    openapi_spec_validator.validate(document)


def test_error_shape_in_the_document_is_what_the_api_renders():
    rendered = api.error_body("not_found", "No such product.", {"product_id": "unknown"}, "corr-1")
    assert Error.model_validate(rendered).model_dump() == rendered


def test_openapi_json_is_served_over_http(app_client):
    status, body, headers = call(app_client, "GET", "/openapi.json")
    assert status == 200
    assert body["openapi"].startswith("3.1")
    assert "/openapi.json" in body["paths"]
    assert headers["Content-Type"] == "application/json"
    again_status, again, again_headers = call(app_client, "GET", "/openapi.json", headers={"X-Correlation-Id": "c-2"})
    assert again_status == 200 and again == body
    assert again_headers["X-Correlation-Id"] == "c-2"


# A throwaway app exercising what the real routes may not (yet): prefixes, bodies, queries, roles.


class Delivery(BaseModel):
    min_days: int = Field(ge=0)
    max_days: int = Field(ge=0)


class OfferIn(BaseModel):
    price: int = Field(gt=0, description="VAT-included, minor units")
    condition: Literal["new", "used"] = "new"
    delivery: Delivery
    note: str | None = None


class OfferOut(BaseModel):
    offer_id: str
    price: int
    delivery: Delivery


class Search(BaseModel):
    q: str = Field(description="Free text")
    limit: int = Field(20, ge=1, le=50)
    condition: Literal["new", "used"] | None = None


@pytest.fixture
def sample_app(monkeypatch):
    monkeypatch.setattr(api, "ROUTES", list(api.ROUTES))  # keep the process-wide registry clean
    bp = Blueprint("sample")

    @api.route(bp, "/products/{product_id}/offer", "PUT", body=OfferIn, response=OfferOut, roles=("vendor",),
               errors=(409, 422), tags=("vendor",))
    def put_offer(req):
        """Upsert the caller's offer."""

    @api.route(bp, "/products", query=Search, response=OfferOut, tags=("catalog",))
    def search(req):
        """Search products."""

    @api.route(bp, "/me", roles=())
    def me(req):
        """Who am I."""

    app = Chalice(app_name="sample")
    app.register_blueprint(bp, url_prefix="/v1")
    return app


def test_a_richer_app_is_fully_and_validly_described(sample_app):
    doc = build_document(sample_app)
    assert _app_operations(sample_app) == _doc_operations(doc) == {
        ("/v1/products/{product_id}/offer", "PUT"), ("/v1/products", "GET"), ("/v1/me", "GET"),
    }
    put = doc["paths"]["/v1/products/{product_id}/offer"]["put"]
    assert put["parameters"][0] == {"name": "product_id", "in": "path", "required": True, "schema": {"type": "string"}}
    assert put["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OfferIn"}
    assert put["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OfferOut"}
    # A vendor-only route also takes vendor API keys, rate-limited per key (429).
    assert set(put["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "422", "429", "500"}
    assert put["security"] == [{"cognito": []}, {"vendorApiKey": []}] and put["x-halles-roles"] == ["vendor"]

    search = doc["paths"]["/v1/products"]["get"]
    query = {p["name"]: p for p in search["parameters"] if p.get("in") == "query"}
    assert set(query) == {"q", "limit", "condition"}
    assert query["q"]["required"] is True and query["limit"]["required"] is False
    assert query["limit"]["schema"]["maximum"] == 50
    assert "security" not in search
    assert set(search["responses"]) == {"200", "400", "500"}

    me = doc["paths"]["/v1/me"]["get"]
    assert set(me["responses"]) == {"200", "401", "500"}

    assert [r for r in _refs(doc) if not _resolves(doc, r)] == []
    openapi_spec_validator.validate(doc)
    json.dumps(doc)  # serialisable as served


def test_routes_that_answer_created_or_existing_document_both_statuses(app_client):
    from tests.fixtures.aws import call

    _, doc, _ = call(app_client, "GET", "/openapi.json")
    assert {"200", "201"} <= set(doc["paths"]["/vendor/products"]["post"]["responses"])
    assert {"200", "201"} <= set(doc["paths"]["/vendor/products/{product_id}/offer"]["put"]["responses"])
