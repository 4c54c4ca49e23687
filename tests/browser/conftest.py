"""Browser fixtures shared by every tests/browser module: Debian's Chromium driven by Playwright.

`browser` (session): one Chromium for the whole run (skips when /usr/bin/chromium is missing).
`page`: a fresh context and tab per test (own cookies, sessionStorage and localStorage) against
the `live_stack`, which fails the test on any uncaught script error of the frontend.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
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
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (`make chromium` installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
