"""`GET /openapi.json`: the API's contract, generated from the registered routes.

The document is built on the first request (generating every JSON Schema costs tens of
milliseconds, which a cold start should not pay) and then served from memory as text.
"""

import json

from chalice import Blueprint, Response

from chalicelib.api import route

bp = Blueprint(__name__)
_document_json: str | None = None


def document_json(app) -> str:
    global _document_json
    if _document_json is None:
        from chalicelib.openapi import build_document

        _document_json = json.dumps(build_document(app), separators=(",", ":"))
    return _document_json


@route(bp, "/openapi.json", summary="The OpenAPI 3.1 document of this API", tags=("meta",))
def openapi_document(req):
    return Response(
        body=document_json(bp.current_app),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=300"},
    )
