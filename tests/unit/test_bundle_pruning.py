"""What `make package` leaves out of deployment.zip, and that what stays still works.

The pruning runs on the real zip in tests/component/test_packaging.py (slow: it packages); these
tests pin the rules and prove the FR/EN notifications still format with only the Babel locale data
the zip keeps.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import babel
import babel.localedata
import pytest

from chalicelib.services import notification_templates
from scripts.package import babel_locales_kept, left_out, prune_bundle


@pytest.fixture
def only_kept_locale_data(tmp_path, monkeypatch):
    """Babel reading its CLDR data from a folder holding only what the zip keeps."""
    source = Path(babel.__file__).parent / "locale-data"
    kept = tmp_path / "locale-data"
    kept.mkdir()
    for name in babel_locales_kept():
        shutil.copy(source / f"{name}.dat", kept / f"{name}.dat")
    monkeypatch.setattr(babel.localedata, "_dirname", str(kept))
    monkeypatch.setattr(babel.localedata, "_cache", {})
    return kept


def test_french_and_english_notifications_format_money_and_dates_with_the_kept_locale_data(only_kept_locale_data):
    assert notification_templates.money({"amount": 548000, "currency": "EUR"}, "fr") == "5\u202f480,00\xa0€"
    assert notification_templates.money({"amount": 548000, "currency": "EUR"}, "en") == "€5,480.00"
    assert notification_templates.day("2026-03-05T10:00:00Z", "fr") == "5 mars 2026"
    assert notification_templates.day("2026-03-05T10:00:00Z", "en") == "5 March 2026"


def test_a_locale_the_notifications_never_use_is_not_kept(only_kept_locale_data):
    with pytest.raises(babel.UnknownLocaleError):
        babel.Locale.parse("de_DE").currency_formats  # noqa: B018 (loads the data)


@pytest.mark.parametrize("name", [
    "botocore/__init__.py", "botocore/data/dynamodb/2012-08-10/service-2.json.gz", "botocore-1.44.8.dist-info/RECORD",
    "jmespath/parser.py", "jmespath-1.1.0.data/scripts/jp.py", "babel/locale-data/de.dat",
    "babel/locale-data/en_US.dat", "cryptography/hazmat/bindings/_rust/x509.pyi", "certifi/tests/__init__.py",
], ids=lambda name: name.replace("/", "_"))
def test_left_out_of_the_zip(name):
    assert left_out(name)


@pytest.mark.parametrize("name", [
    "app.py", "chalicelib/services/checkout.py", "stripe/__init__.py", "babel/locale-data/fr.dat",
    "babel/locale-data/en_GB.dat", "babel/locale-data/en_001.dat", "babel/locale-data/root.dat", "babel/global.dat",
    "dateutil/tz/tz.py", "urllib3/__init__.py", "pydantic_core-2.50.5.dist-info/METADATA",
    "chalicelib/templates/notifications/order.placed.fr.html.j2",
], ids=lambda name: name.replace("/", "_"))
def test_kept_in_the_zip(name):
    assert not left_out(name)


def test_the_pinned_aws_sdk_stays_in_the_zip_when_asked():
    assert not left_out("botocore/__init__.py", keep_aws_sdk=True)
    assert left_out("botocore/data/dynamodb/2012-08-10/examples-1.json", keep_aws_sdk=True)


def test_pruning_rewrites_the_zip_without_the_left_out_entries(tmp_path):
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("app.py", "botocore/client.py", "babel/locale-data/ja.dat", "babel/locale-data/fr.dat"):
            bundle.writestr(name, b"x" * 1000)
    removed, _ = prune_bundle(archive)
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == ["app.py", "babel/locale-data/fr.dat"]
    assert removed == 2
