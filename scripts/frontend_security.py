"""The frontend's security headers, defined once for CloudFront and for the local stack.

The packaged template's Response Headers Policy (scripts/frontend_template.py) and the local frontend
server (devstack/http.py) both build their Content-Security-Policy here, so every browser test runs
the pages under the policy CloudFront sends in AWS: a page that needs an inline script or style, a
`style="..."` attribute or a `javascript:` URL fails locally before it fails in production.

What the pages load, and so what the policy allows beyond the site itself ('self'):
- the API (`apiBase` of /config.js): fetched by every page, and it serves /media/... images;
- the images bucket: /media/... answers a redirect to a presigned GET, and vendors' and shoppers'
  photos are uploaded straight to it with a presigned POST (fetch);
- `data:` images (none today; allowed because axe-core and browsers' own icons may use them).
No 'unsafe-inline' and no 'unsafe-eval' anywhere: setting `element.style.x` from a script is allowed
(CSSOM), a `style` attribute (in markup or with setAttribute) is not.
"""

from __future__ import annotations

from collections.abc import Iterable

# CloudFront refuses a Content-Security-Policy header value longer than this (Response Headers Policy quotas).
CLOUDFRONT_CSP_MAX = 1783


def content_security_policy(api_origins: Iterable[str], media_origins: Iterable[str]) -> str:
    """The policy for pages that call the API at `api_origins` and show/upload images at `media_origins`.

    Origins are scheme://host[:port] (no path): CSP matches a source with a path against that path only,
    and the API's stage path (/api/) would then refuse /api-less redirects. Duplicates are dropped."""
    api = _unique(api_origins)
    media = _unique(media_origins)
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'"]),
        ("img-src", _unique(["'self'", "data:", *api, *media])),
        ("connect-src", _unique(["'self'", *api, *media])),
        ("font-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


# The other headers, the same in AWS and locally (HSTS only in AWS: the local stack is plain HTTP).
CONTENT_TYPE_OPTIONS = "nosniff"
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS_MAX_AGE_SECONDS = 63072000  # two years: what hstspreload.org asks for


def local_headers(api_origins: Iterable[str], media_origins: Iterable[str]) -> dict[str, str]:
    """The headers the local frontend server sends with every page and asset."""
    return {
        "Content-Security-Policy": content_security_policy(api_origins, media_origins),
        "X-Content-Type-Options": CONTENT_TYPE_OPTIONS,
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
    }


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.rstrip("/")
        if value and value not in seen:
            seen.append(value)
    return seen
