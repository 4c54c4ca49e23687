"""The built frontend (scripts/build_frontend.py) and the local server that sends it (devstack/http.py).

What users notice: every file the built site references is there (no 404), a changed module reaches
browsers that cached the old one (its importers get new names too), hashed files are cached for a
year and index.html/config.js revalidated, text arrives gzip-compressed when the browser accepts it.
"""

from __future__ import annotations

import gzip
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chalicelib.compression import accepts_gzip
from devstack.http import make_frontend_server
from scripts.build_frontend import SOURCE, BuildError, build, main, references, unresolved

HASHED = re.compile(r"\.[0-9a-f]{10}\.[a-z0-9]+$")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("site") / "frontend"
    return out, build(out, "https://api.example.test")


@pytest.fixture
def serve():
    servers = []

    def start(directory: Path) -> str:
        server = make_frontend_server(directory, "127.0.0.1", 0, 8000)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url: str, **headers: str) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}


def test_every_reference_of_the_built_site_resolves_and_every_asset_is_hashed(site):
    out, served = site
    assert unresolved(out) == []
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == set(served.values())
    unhashed = sorted(f for f in files if not HASHED.search(f))
    assert unhashed == ["config.js", "index.html"]
    html = (out / "index.html").read_text()
    assert f'src="{served["app.js"]}"' in html and f'href="{served["styles.css"]}"' in html
    assert (out / "config.js").read_text() == 'window.HALLES_CONFIG = {apiBase: "https://api.example.test"};\n'


def test_the_page_preloads_the_shell_modules_at_once_and_no_page_s_own_view(site):
    out, served = site
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', (out / "index.html").read_text()))
    assert {served["js/i18n.js"], served["js/api.js"], served["js/dom.js"]} <= preloaded
    views = {served[rel] for rel in served if rel.startswith("js/views/") and rel not in {"js/views/space.js", "js/views/guard.js"}}
    assert preloaded & views == set()
    assert not any("/locales/" in name for name in preloaded)


def test_images_named_by_data_reach_their_hashed_copy_through_the_asset_map(site):
    out, served = site
    assets = (out / served["js/assets.js"]).read_text()
    assert f'"img/kitchen.svg": "{served["img/kitchen.svg"]}"' in assets
    assert (out / served["img/kitchen.svg"]).read_bytes() == (SOURCE / "img" / "kitchen.svg").read_bytes()


def test_the_built_site_served_locally_has_no_404_and_the_right_cache_headers(site, serve):
    out, served = site
    base = serve(out)
    status, body, headers = get(f"{base}/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["cache-control"] == "no-cache"
    pending, seen = ["index.html"], set()
    while pending:  # follow every reference from the page, as a browser opening every page would
        rel = pending.pop()
        if rel in seen:
            continue
        seen.add(rel)
        status, body, headers = get(f"{base}/{rel}", **{"Accept-Encoding": "gzip"})
        assert status == 200, f"{rel}: {status}"
        expected = "no-cache" if rel in {"index.html", "config.js"} else "public, max-age=31536000, immutable"
        assert headers["cache-control"] == expected, rel
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        if rel.endswith((".js", ".html", ".css")):
            pending += [r.target for r in references(rel, body.decode())]
            # Images named by data (a product's "/img/kitchen.svg") are reached through js/assets.js's map.
            pending += re.findall(r'": "(img/[^"]+)"', body.decode()) if rel == served["js/assets.js"] else []
    assert seen == set(served.values())  # nothing in the site is unreachable, nothing reachable is missing


def test_a_changed_module_renames_every_module_that_leads_to_it(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source)
    before = build(tmp_path / "a", source=source)
    money = source / "js" / "money.js"
    money.write_text(money.read_text() + "\nexport const changed = 1;\n")
    after = build(tmp_path / "b", source=source)
    # money.js is imported by the catalogue view, which app.js imports: all three get new names,
    # so a browser holding the old app.js for a year never runs the new page against old money code.
    for rel in ("js/money.js", "js/views/catalogue.js", "app.js"):
        assert before[rel] != after[rel], rel
    assert before["js/session.js"] == after["js/session.js"]  # unrelated: still cached
    assert before["index.html"] == after["index.html"] == "index.html"


def test_a_comment_is_not_shipped_so_changing_one_renames_nothing(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source)
    before = build(tmp_path / "a", source=source)
    money = source / "js" / "money.js"
    money.write_text("// Why money is formatted this way.\n" + money.read_text())
    after = build(tmp_path / "b", source=source)
    assert before == after
    assert b"Why money" not in (tmp_path / "b" / after["js/money.js"]).read_bytes()


def test_a_reference_to_a_missing_file_fails_the_build_naming_it(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source)
    view = source / "js" / "views" / "catalogue.js"
    view.write_text('import { gone } from "./gone.js";\n' + view.read_text())
    with pytest.raises(BuildError, match=r"js/views/catalogue\.js: './gone\.js' points at js/views/gone\.js"):
        build(tmp_path / "out", source=source)


def test_the_cli_refuses_an_api_url_that_is_not_http(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path / "out"), "--api-url", "javascript:alert(1)"])
    assert exit_info.value.code == 2
    assert "--api-url must be an http(s) URL" in capsys.readouterr().err


def test_text_is_gzipped_only_for_a_client_that_accepts_it_and_varies_on_it(serve):
    base = serve(SOURCE)
    original = (SOURCE / "app.js").read_bytes()
    status, body, headers = get(f"{base}/app.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == original and len(body) < len(original) / 2
    for refusing in ("identity", "gzip;q=0", "br"):
        status, body, headers = get(f"{base}/app.js", **{"Accept-Encoding": refusing})
        assert status == 200 and "content-encoding" not in headers and body == original, refusing
        assert headers["vary"] == "Accept-Encoding"
    # The source tree's names do not change when the files do: revalidated, never cached for long.
    assert headers["cache-control"] == "no-cache"


def test_an_unchanged_file_revalidates_with_304(serve):
    base = serve(SOURCE)
    _, _, headers = get(f"{base}/styles.css", **{"Accept-Encoding": "gzip"})
    status, body, _ = get(f"{base}/styles.css", **{"Accept-Encoding": "gzip", "If-Modified-Since": headers["last-modified"]})
    assert status == 304 and body == b""


def test_a_missing_hashed_file_is_a_404_that_no_cache_keeps(serve, site):
    out, _ = site
    status, _, headers = get(f"{serve(out)}/js/app.0123456789.js")
    assert status == 404 and headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(("header", "accepted"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("GZIP", True),
    (None, False), ("", False), ("identity", False), ("gzip;q=0", False), ("br, *;q=0", False), ("gzip;q=x", False),
])
def test_accept_encoding_is_read_with_its_quality_values(header, accepted):
    assert accepts_gzip(header) is accepted
