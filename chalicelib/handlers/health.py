"""Liveness for load balancers, the local runner and humans."""

from chalice import Blueprint

from chalicelib.api import route

bp = Blueprint(__name__)


@route(bp, "/health", summary="Liveness check", tags=("meta",))
def health(req):
    return {"status": "ok"}
