"""Finding things in the demo catalogue: 30+ realistic queries (FR and EN), sort, facets, suggestions,
breadcrumbs and product texts per language, through chalice.test.Client under moto."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from chalicelib.services import accounts
from tests.fixtures.aws import call
from tests.fixtures.catalog import module_stack

TENT, BACKPACK, SLEEPING_BAG, STOVE, BOTTLE = "7312601815901", "5003016613184", "5900913909962", "4003082462816", \
    "5014821993514"
HEADLAMP, HEADPHONES, KEYBOARD, MONITOR, SPEAKER = "5001909378653", "8719754323199", "5902527601898", \
    "7315597971149", "8711049746508"
POWER_BANK, KETTLE, SKILLET, KNIFE, PLATES = "8403667127684", "7302684656324", "4012233079247", "7300268599524", \
    "4017603137213"
THROW, CANDLE, SHEARS, WATERING_CAN, YOGA_MAT = "3761547280382", "3765388853934", "4013735379903", \
    "8715116372652", "3760018263305"
DUMBBELLS, SHOES, HELMET = "7303483954864", "3760579868285", "3767918058888"

# (query, the product a shopper expects first). Plurals, accents or none, typos, brand + type, FR and EN.
QUERIES = [
    ("bottles", BOTTLE),
    ("bouteille", BOTTLE),
    ("bouteilles isothermes", BOTTLE),
    ("tnet", TENT),
    ("tentes 2 places", TENT),
    ("alpenglow tent", TENT),
    ("headphones sony", HEADPHONES),  # no Sony here: the headphones, with "did you mean headphones"
    ("sonora headphones", HEADPHONES),
    ("casque velo", HELMET),
    ("keybaord", KEYBOARD),
    ("clavier mécanique", KEYBOARD),
    ("ecran 4k", MONITOR),
    ("écrans", MONITOR),
    ("bouilloire", KETTLE),
    ("electrique kettle", KETTLE),
    ("poêle fonte", SKILLET),
    ("couteaux", KNIFE),
    ("knifes", KNIFE),
    ("assiettes", PLATES),
    ("dinner plate", PLATES),
    ("lampe frontale", HEADLAMP),
    ("headlamps", HEADLAMP),
    ("sleeping bags", SLEEPING_BAG),
    ("sac de couchage", SLEEPING_BAG),
    ("backpak", BACKPACK),
    ("sac a dos", BACKPACK),
    ("dumbells", DUMBBELLS),
    ("haltères", DUMBBELLS),
    ("yoga mats", YOGA_MAT),
    ("arrosoir", WATERING_CAN),
    ("watering cans", WATERING_CAN),
    ("pruning sheers", SHEARS),
    ("sécateur", SHEARS),
    ("chaussures trail", SHOES),
    ("power bank", POWER_BANK),
    ("batterie externe", POWER_BANK),
    ("bluetooth speakers", SPEAKER),
    ("bougies", CANDLE),
    ("plaid merinos", THROW),
    ("titane rechaud", STOVE),
]


@pytest.fixture(scope="module")
def demo():
    from chalice.test import Client

    import app as halles
    from devstack.seed import seed_demo

    with module_stack():
        credentials = seed_demo()
        with Client(halles.app, stage_name="dev") as client:
            yield client, credentials


def listing(client, headers=None, **query):
    status, body, _ = call(client, "GET", "/catalog/products?" + urlencode(query), headers=headers)
    assert status == 200, body
    return body


def gtin(item) -> str:
    return item["product_id"].removeprefix("prd_")[-13:]


@pytest.mark.parametrize("q, expected", QUERIES, ids=[q for q, _ in QUERIES])
def test_realistic_queries_find_the_expected_product_first(demo, q, expected):
    client, _ = demo
    body = listing(client, q=q)
    assert body["items"], f"nothing for {q!r} (did you mean: {body['did_you_mean']})"
    assert gtin(body["items"][0]) == expected, [i["title"] for i in body["items"]]


def test_bouteille_and_bottles_find_the_same_products(demo):
    client, _ = demo
    french = [i["product_id"] for i in listing(client, q="bouteille")["items"]]
    english = [i["product_id"] for i in listing(client, q="bottles")["items"]]
    assert french == english and french


def test_a_typo_is_found_and_the_corrected_query_suggested(demo):
    client, _ = demo
    body = listing(client, q="tnet")
    assert body["did_you_mean"] == "tent" and body["relaxed"] is False


def test_words_nothing_matches_are_dropped_and_said_so(demo):
    client, _ = demo
    body = listing(client, q="headphones sony")
    assert body["relaxed"] is True and body["did_you_mean"] == "headphones"


def test_an_empty_result_still_suggests_a_word(demo):
    client, _ = demo
    body = listing(client, q="bouteiiiile")  # two typos: beyond the typo keys
    assert body["items"] == [] and body["did_you_mean"] == "bouteille"


def test_titles_come_in_the_requested_language_with_accept_language_as_default(demo):
    client, _ = demo
    assert listing(client, q="bottles", lang="fr")["items"][0]["title"] == "Bouteille isotherme en acier 750 ml"
    french = listing(client, q="bottles", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    assert french["items"][0]["title"] == "Bouteille isotherme en acier 750 ml" and french["lang"] == "fr"
    english = listing(client, q="bouteille", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert english["items"][0]["title"] == "Insulated Steel Bottle 750 ml" and english["lang"] == "en"


def test_the_product_page_speaks_the_requested_language(demo):
    client, _ = demo
    pid = listing(client, q="bottles")["items"][0]["product_id"]
    status, page, _ = call(client, "GET", f"/catalog/products/{pid}?lang=fr")
    assert status == 200 and page["product"]["title"] == "Bouteille isotherme en acier 750 ml"
    assert page["product"]["description"].startswith("Garde les boissons froides")
    status, page, _ = call(client, "GET", f"/catalog/products/{pid}", headers={"Accept-Language": "en"})
    assert page["product"]["title"] == "Insulated Steel Bottle 750 ml"
    status, body, _ = call(client, "GET", f"/catalog/products/{pid}?lang=de")
    assert status == 400 and "lang" in body["error"]["fields"]


def test_sort_by_total_price_puts_the_cheapest_total_first(demo):
    client, _ = demo
    body = listing(client, category="kitchen", sort="price", limit=50)
    totals = [i["best_offer"]["total"]["amount"] for i in body["items"] if i["best_offer"]]
    assert totals == sorted(totals) and len(totals) >= 3
    assert body["items"][-1]["best_offer"] is None or all(i["best_offer"] for i in body["items"])


def test_sort_newest_and_relevance_are_accepted_and_a_wrong_sort_names_the_field(demo):
    client, _ = demo
    assert listing(client, q="lamp", sort="newest")["sort"] == "newest"
    status, body, _ = call(client, "GET", "/catalog/products?q=lamp&sort=cheapest")
    assert status == 400 and "sort" in body["error"]["fields"]
    status, body, _ = call(client, "GET", "/catalog/products?q=lamp&price_band=1-2")
    assert status == 400 and "price_band" in body["error"]["fields"]


def test_facets_count_what_each_choice_would_show(demo):
    client, _ = demo
    body = listing(client, q="lamp", limit=50)
    counts = {f["value"]: f["count"] for f in body["facets"]["category"]}
    assert sum(counts.values()) == body["total"]
    chosen = max(counts, key=counts.get)
    narrowed = listing(client, q="lamp", category=chosen, limit=50)
    assert narrowed["total"] == counts[chosen] and all(i["category"] == chosen for i in narrowed["items"])
    # The other categories stay countable once one is chosen.
    assert {f["value"] for f in narrowed["facets"]["category"]} == set(counts)
    brands = {f["value"]: f["count"] for f in narrowed["facets"]["brand"]}
    brand = next(iter(brands))
    by_brand = listing(client, q="lamp", category=chosen, brand=brand, limit=50)
    assert by_brand["total"] == brands[brand] and all(i["brand"] == brand for i in by_brand["items"])


def test_price_bands_filter_on_the_total(demo):
    client, _ = demo
    body = listing(client, sort="price", price_band="20-50", limit=50)
    assert body["items"]
    assert all(2000 <= i["best_offer"]["total"]["amount"] < 5000 for i in body["items"])
    band = next(f for f in body["facets"]["price_band"] if f["value"] == "20-50")
    assert band["selected"] is True and band["count"] == body["total"]


def test_category_pages_have_breadcrumbs_in_the_page_language(demo):
    client, _ = demo
    body = listing(client, category="kitchen", q="set", lang="fr")
    assert [c["label"] for c in body["breadcrumbs"]] == ["Catalogue", "Cuisine & arts de la table", "“set”"]
    assert body["breadcrumbs"][1]["category"] == "kitchen"


def test_ranked_pages_follow_one_another_and_a_foreign_cursor_is_refused(demo):
    client, _ = demo
    whole = [i["product_id"] for i in listing(client, sort="newest", limit=50)["items"]]
    seen, cursor = [], None
    for _ in range(20):
        body = listing(client, sort="newest", limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [i["product_id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == whole and len(seen) >= 30
    first = listing(client, sort="newest", limit=7)["next_cursor"]
    status, body, _ = call(client, "GET", "/catalog/products?" + urlencode({"sort": "price", "limit": 7,
                                                                           "cursor": first}))
    assert status == 400 and "cursor" in body["error"]["fields"]


def test_a_vendor_gives_both_languages_and_bad_translations_name_their_field(demo):
    client, credentials = demo
    vendor = credentials["vendors"][0]
    token = accounts.sign_in(vendor["email"], vendor["password"])["access_token"]
    product = {"title": "Enamel Camping Mug 350 ml", "brand": "Alpenglow", "category": "outdoor",
               "description": "Chip-resistant enamel.",
               "translations": {"fr": {"title": "Tasse de camping émaillée 350 ml",
                                       "description": "Émail résistant aux chocs."}}}
    status, bad, _ = call(client, "POST", "/vendor/products", token=token,
                          body={**product, "translations": {"fr": {"title": "", "description": "x"}}})
    assert status == 400 and "translations.fr.title" in bad["error"]["fields"], bad
    status, bad, _ = call(client, "POST", "/vendor/products", token=token,
                          body={**product, "translations": {"de": {"title": "Emaillebecher 350 ml"}}})
    assert status == 400 and bad["error"]["fields"], bad
    status, created, _ = call(client, "POST", "/vendor/products", token=token, body=product)
    assert status == 201, created
    assert created["translations"]["fr"]["title"] == "Tasse de camping émaillée 350 ml"
    pid = created["product_id"]
    status, page, _ = call(client, "GET", f"/catalog/products/{pid}?lang=fr")
    assert page["product"]["title"] == "Tasse de camping émaillée 350 ml"
    status, page, _ = call(client, "GET", f"/catalog/products/{pid}?lang=en")
    assert page["product"]["title"] == "Enamel Camping Mug 350 ml"  # no English translation: the main text
    found = listing(client, q="tasses émaillées")
    assert pid in [i["product_id"] for i in found["items"]]

    edit = {k: v for k, v in product.items() if k != "translations"} | {"title": "Enamel Camp Mug 350 ml"}
    status, edited, _ = call(client, "PUT", f"/vendor/products/{pid}", token=token, body=edit)
    assert status == 200, edited
    assert edited["translations"]["fr"]["title"] == "Tasse de camping émaillée 350 ml"  # an edit keeps them
    status, page, _ = call(client, "GET", f"/catalog/products/{pid}?lang=fr")
    assert page["product"]["title"] == "Tasse de camping émaillée 350 ml"
    assert pid in [i["product_id"] for i in listing(client, q="tasse emaillee")["items"]]


def test_categories_are_named_in_the_requested_language(demo):
    client, _ = demo
    status, french, _ = call(client, "GET", "/catalog/categories", headers={"Accept-Language": "fr"})
    assert status == 200 and {"slug": "kitchen", "name": "Cuisine & arts de la table"} in french["items"]
    status, english, _ = call(client, "GET", "/catalog/categories?lang=en", headers={"Accept-Language": "fr"})
    assert {"slug": "kitchen", "name": "Kitchen & Dining"} in english["items"]
