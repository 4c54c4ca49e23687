"""Browser fixtures shared by every tests/browser module: Debian's Chromium driven by Playwright.

`browser` (session): one Chromium for the whole run. Whether the browser tests run at all (Chromium
missing: the run fails; HALLES_SKIP_BROWSER_TESTS=1: skipped, loudly) is tests/fixtures/browser_gate.py.
`page`: a fresh context and tab per test (own cookies, sessionStorage and localStorage) against
the `live_stack`, which fails the test on any uncaught script error of the frontend.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.fixtures.browser_gate import gate_of

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(pytestconfig):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=gate_of(pytestconfig).chromium, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_stack):
    """A fresh tab (own cookies and storage) that fails the test on any script error."""
    expect.set_options(timeout=10_000)
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda exc: script_errors.append(str(exc)))
    yield tab
    context.close()
    assert not script_errors, f"the page raised: {script_errors}"
