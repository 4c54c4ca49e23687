"""Browser fixtures shared by every tests/browser module: Debian's Chromium driven by Playwright.

`browser` (session): one Chromium for the whole run. Whether the browser tests run at all (Chromium
missing: the run fails; HALLES_SKIP_BROWSER_TESTS=1: skipped, loudly) is tests/fixtures/browser_gate.py.
`page`: a fresh context and tab per test (own cookies, sessionStorage and localStorage) against
the `live_stack`, which fails the test on any uncaught script error of the frontend and on anything the
Content-Security-Policy refused (the local server sends the policy CloudFront sends: scripts/frontend_security.py).
A test that fails saves a screenshot of every open tab in build/test-artifacts/screenshots/ (tests/fixtures/artifacts.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.fixtures.artifacts import failure_screenshot_path, forget_failure_screenshots
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

# Runs in every document before its own scripts (through the DevTools protocol, so the CSP does not apply to
# it): each `securitypolicyviolation` is kept in window.__cspViolations and logged as a console error.
CSP_WATCH = """
window.__cspViolations = [];
window.addEventListener("securitypolicyviolation", (event) => {
  const text = `CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.href}:${event.lineNumber}`;
  window.__cspViolations.push(text);
  console.error(text);
}, true);
"""


@pytest.fixture(scope="session")
def browser(pytestconfig):
    forget_failure_screenshots()  # those of an earlier run would pass for this run's
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=gate_of(pytestconfig).chromium, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def watch_csp(context) -> list[str]:
    """Every CSP refusal in `context`'s tabs from now on (Chromium's own console report and the event)."""
    refused: list[str] = []
    context.add_init_script(CSP_WATCH)

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            refused.append(text)

    context.on("console", on_console)
    return refused


@pytest.fixture
def page(browser, live_stack):
    """A fresh tab (own cookies and storage) that fails the test on any script error or CSP refusal."""
    expect.set_options(timeout=10_000)
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    refused = watch_csp(context)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda exc: script_errors.append(str(exc)))
    yield tab
    context.close()
    assert not script_errors, f"the page raised: {script_errors}"
    assert not refused, f"the Content-Security-Policy refused: {refused}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot of each tab still open (its fixtures are not torn down yet)."""
    outcome = yield
    report = outcome.get_result()
    chromium = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or chromium is None:
        return
    tabs = [tab for context in chromium.contexts for tab in context.pages if not tab.is_closed()]
    saved = []
    for index, tab in enumerate(tabs):
        try:
            path = failure_screenshot_path(item.nodeid, index)
            tab.screenshot(path=path, full_page=True, timeout=5_000)
            saved.append(path)
        except Exception as exc:  # a crashed tab must not hide the test's own failure
            saved.append(f"(tab {index}: no screenshot: {exc})")
    if saved:
        report.sections.append(("screenshots", "\n".join(saved)))
