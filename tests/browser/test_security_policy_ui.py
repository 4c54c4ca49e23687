"""The pages run under the Content-Security-Policy CloudFront sends (scripts/frontend_security.py): the local
frontend server sends the same one, and a walk through every page of each kind of user (a visitor, a shopper,
a vendor, an admin) finds nothing the policy refused: no inline script or style, no `style` attribute, no
`javascript:` URL, no request to an origin the policy does not name.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import watch_csp
from tests.browser.test_accessibility_ui import PAGES, people  # noqa: F401 - the fixture, reused
from tests.browser.test_checkout_ui import frontend

pytestmark = pytest.mark.browser

WALKERS = sorted({who or "visitor" for who, _ in PAGES})


def test_the_local_frontend_sends_the_policy_cloudfront_sends(live_stack):
    from scripts.frontend_security import content_security_policy

    with urllib.request.urlopen(frontend(live_stack, "")) as response:  # noqa: S310 - the local stack
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    assert csp == content_security_policy([live_stack.api], [live_stack.moto])
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("who", WALKERS)
def test_no_page_does_anything_the_content_security_policy_refuses(browser, live_stack, people, who):  # noqa: F811
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    refused = watch_csp(context)
    if who != "visitor":
        session = json.dumps(people["sessions"][who])
        context.add_init_script(
            f"if (!sessionStorage.getItem('halles.session')) sessionStorage.setItem('halles.session', {json.dumps(session)});")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    walked = []
    try:
        for route in [route for person, route in PAGES if (person or "visitor") == who]:
            tab.goto(frontend(live_stack, route.format(**people["ids"])))
            expect(tab.locator("main h1").first).to_be_visible()
            tab.wait_for_load_state("networkidle")
            expect(tab.locator("[aria-busy=true]")).to_have_count(0)
            walked.append(route)
        refused += tab.evaluate("() => window.__cspViolations")
        assert walked and not refused, f"the policy refused, walking {walked}: {sorted(set(refused))}"
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()


def test_the_walk_would_see_an_inline_style_the_policy_refuses(browser, live_stack):
    """The check above can fail: markup with a style attribute, as innerHTML would add it, is reported."""
    context = browser.new_context(locale="en-IE")
    refused = watch_csp(context)
    tab = context.new_page()
    try:
        tab.goto(frontend(live_stack, "#/"))
        expect(tab.locator("main h1").first).to_be_visible()
        tab.evaluate("""() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<p style="color: red">inline</p>')""")
        tab.wait_for_function("() => window.__cspViolations.length > 0")
        assert any("style-src" in text for text in tab.evaluate("() => window.__cspViolations"))
        assert tab.evaluate("() => getComputedStyle(document.querySelector('main p:last-child')).color") != \
            "rgb(255, 0, 0)"
    finally:
        context.close()
    assert refused
