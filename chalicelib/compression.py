"""Compressed API answers: gzip for clients that accept it, on AWS and locally alike.

The API is an HTTP API (scripts/package.py), which does not compress (a REST API's
`minimumCompressionSize` has no HTTP API counterpart), and CloudFront stands only before the
static site. So the app compresses its own JSON answers of `MIN_BYTES` or more when the request's
Accept-Encoding admits gzip (a catalogue page of 20 KB goes over the wire as about 3 KB).

A compressed answer goes to API Gateway base64-encoded with `isBase64Encoded` (the Lambda proxy
contract for bytes), which API Gateway decodes before sending; chalice local does the same. It is
not done by listing `application/json` among the API's binary types: Chalice would then refuse
(400) every request whose Accept header does not name JSON, a REST API rule that HTTP APIs lack.
"""

from __future__ import annotations

import base64
import gzip

from chalice import Response

MIN_BYTES = 1024  # below this, gzip's header and the CPU are not worth it
LEVEL = 6  # zlib's default: most of level 9's saving for a fraction of its CPU, per answer


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (`gzip`, `gzip;q=0.5`, `*`), not refusing it with q=0."""
    accepted = {}
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name.strip().lower()] = quality
    quality = accepted.get("gzip", accepted.get("x-gzip", accepted.get("*", 0.0)))
    return quality > 0


class _Gzipped(Response):
    """An answer whose body is gzip bytes: handed to API Gateway base64-encoded, whatever its Content-Type."""

    def to_dict(self, binary_types=None):
        answer = super().to_dict(None)
        answer["body"] = base64.b64encode(self.body).decode()
        answer["isBase64Encoded"] = True
        return answer


def _header(headers: dict, name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def compressed(response, accept_encoding: str | None):
    """`response` (a Chalice Response) with its JSON body gzipped when the client accepts it and it is worth it."""
    headers = dict(response.headers or {})
    content_type = (_header(headers, "content-type") or "").lower()
    body = response.body
    if not content_type.startswith("application/json") or _header(headers, "content-encoding") \
            or not isinstance(body, (str, bytes)):
        return response
    headers["Vary"] = "Accept-Encoding"  # caches must not hand a gzipped answer to a client that refused it
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) >= MIN_BYTES and accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return _Gzipped(body=gzip.compress(raw, compresslevel=LEVEL, mtime=0), headers=headers,
                        status_code=response.status_code)
    response.headers = headers
    return response


def compress_answers(app) -> None:
    """Make `app` gzip its JSON answers for clients that accept it (see the module's docstring)."""
    @app.middleware("http")
    def gzip_json(request, get_response):
        return compressed(get_response(request), request.headers.get("accept-encoding"))
