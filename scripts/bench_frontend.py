"""Frontend benchmarks (`python -m scripts.bench frontend`), registered in scripts/bench.py's registry.

The site as users in AWS get it: the local stack started with `--built-frontend` (frontend/ built by
scripts/build_frontend.py: hashed names, long-cache headers, served gzip-compressed by the local
server as CloudFront compresses), the catalogue page opened in headless Chromium (Debian's, as the
browser tests use; playwright drives it) at 1280 x 900, each round in a fresh profile (empty cache):
- frontend_first_load_kb: bytes received for every request the catalogue page makes until the network
  is idle (no request for 500 ms after the cards are shown), as DevTools counts "transferred":
  compressed bodies plus response headers, the API's JSON answers included, in KB of 1,000 bytes.
  Target <= 100. `frontend_first_load_requests` is how many requests that was;
- frontend_interactive_ms: from the start of the navigation until the first product card is shown and
  clickable (its link is the element at its own centre: nothing covers it), read with the page's own
  clock (performance.now());
- frontend_repeat_load_kb: the same page opened again in the same profile: what long-cache hashed
  names save (index.html is revalidated, the API asked again, the rest comes from the cache).
Medians of `--rounds` rounds (at most 5) after one unmeasured warm-up. `--why` lists the requests
of the last first load, heaviest first.

What they do not cover: no network latency or bandwidth limit (everything is on localhost: a phone
on 4G adds round trips, which the number of requests hints at), no CDN (CloudFront's brotli would
send a little less than this gzip), the API's answers gzipped by the app as in AWS (chalicelib/
compression.py; a slower Lambda or network is not modelled), a 1280 px window (a phone shows fewer cards, so fewer
lazy images), one Chromium on a shared machine (timings vary with its load), the catalogue page only.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scripts.bench_host import running_bench

MAX_ROUNDS = 5
IDLE_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}

# The first card is drawn, visible, and its link is what a click at its centre reaches.
CARD_CLICKABLE = """() => {
  const link = document.querySelector('[data-testid="product-card"] a.card-link');
  if (!link) return false;
  const box = link.getBoundingClientRect();
  if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.top >= innerHeight) return false;
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + Math.min(box.height / 2, innerHeight / 2));
  return Boolean(hit && link.contains(hit)) && performance.now();
}"""


bench = running_bench()


@dataclass
class PageLoad:
    interactive_ms: float = 0.0
    transfers: dict[str, int] = field(default_factory=dict)  # request id -> bytes received
    urls: dict[str, str] = field(default_factory=dict)  # request id -> url

    @property
    def kb(self) -> float:
        return sum(self.transfers.values()) / 1000

    @property
    def requests(self) -> int:
        return len(self.transfers)

    def heaviest(self, top: int = 40) -> str:
        rows = sorted(((size, self.urls.get(rid, rid)) for rid, size in self.transfers.items()), reverse=True)
        return "\n".join(f"  {size / 1000:7.1f} KB  {url}" for size, url in rows[:top])


def load_catalogue(context, url: str) -> PageLoad:
    """Open `url` in a new tab of `context` and count what arrives until the network is idle."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    load = PageLoad()
    cdp.on("Network.requestWillBeSent", lambda e: load.urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: load.transfers.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto(url, wait_until="commit")
    load.interactive_ms = float(page.wait_for_function(CARD_CLICKABLE, timeout=IDLE_TIMEOUT_MS, polling="raf").json_value())
    page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
    page.close()
    return load


def chromium_path() -> str | None:
    from tests.fixtures.browser_gate import decide

    gate = decide(os.environ)
    return gate.chromium if gate.action == "run" else None


@bench.benchmark("frontend")
def frontend(options) -> Iterator:
    chromium = chromium_path()
    if chromium is None:
        print("bench: frontend skipped, no Chromium (`make chromium`, or HALLES_CHROMIUM=path)", file=sys.stderr)
        return
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.fixtures.live import LiveStack

    rounds = max(1, min(options.rounds, MAX_ROUNDS))
    with tempfile.TemporaryDirectory(prefix="halles-bench-frontend-") as data_dir:
        stack = LiveStack(data_dir=Path(data_dir), args=("--built-frontend",))
        stack.start(fresh=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                try:
                    first, repeat = [], []
                    for index in range(rounds + 1):  # the first round warms the API and the server's gzip cache
                        context = browser.new_context(locale="en-IE", viewport=VIEWPORT)
                        try:
                            cold = load_catalogue(context, f"{stack.frontend}/#/")
                            warm = load_catalogue(context, f"{stack.frontend}/#/")
                        finally:
                            context.close()
                        if index:
                            first.append(cold)
                            repeat.append(warm)
                finally:
                    browser.close()
        finally:
            stack.stop()
    yield bench.Figure("frontend_first_load_kb", statistics.median(load.kb for load in first), "KB")
    yield bench.Figure("frontend_first_load_requests", statistics.median(load.requests for load in first), "",
                       digits=0)
    yield bench.Figure("frontend_interactive_ms", statistics.median(load.interactive_ms for load in first), "ms",
                       digits=0)
    yield bench.Figure("frontend_repeat_load_kb", statistics.median(load.kb for load in repeat), "KB")
    if options.why:
        print(f"the last first load, {first[-1].requests} requests, {first[-1].kb:.1f} KB:\n{first[-1].heaviest()}",
              file=sys.stderr)
