"""Demo data for the local stack: an admin, a shopper, four vendors and their catalogue.

`seed_demo()` is idempotent and runs on every start of the local stack (after a snapshot is
restored): users go through `accounts.ensure_user`, the catalogue through the catalogue use
cases (the same rules as the vendor endpoints). Products and offers have derived ids, so a
second run finds them instead of duplicating them, and offers that already exist are left
as they are: a restart never undoes what vendors or shoppers changed (prices, stock sold).
Product summaries are recomputed on every run, which also heals a stale one.

Every product gets its own illustration (devstack/product_art.py: the subject from its title, the
palette and composition from its id), stored in the images bucket under its proposer's prefix and
served like a vendor's upload (`/media/vendors/<vendor_id>/seed-<product_id>.svg`); a product from
an older snapshot still showing its category's generic picture gets its illustration, and one without
its French texts (devstack/seed_fr.py) gets them. Products
follow the presentation rules (chalicelib/domain/presentation.py). GTINs are made up but carry
valid GS1 check digits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from devstack.seed_fr import french

DEMO_PASSWORD = "Halles-demo-1"
ADMIN = {"email": "admin@halles.local", "name": "Halles Admin"}
SHOPPER = {"email": "shopper@halles.local", "name": "Camille Martin"}


@dataclass(frozen=True)
class DemoVendor:
    key: str
    shop: str
    email: str
    owner: str
    legal_name: str = ""
    country: str = "FR"
    ships_from: str = ""


VENDORS = (
    DemoVendor("alpine", "Alpine Outfitters", "alpine@halles.local", "Ingrid Berg",
               "Alpine Outfitters GmbH", "DE", "Munich, Germany"),
    DemoVendor("bytes", "Bytes & Co", "bytes@halles.local", "Tomás Silva",
               "Bytes & Co Lda", "PT", "Porto, Portugal"),
    DemoVendor("verte", "Maison Verte", "maison-verte@halles.local", "Élodie Moreau",
               "Maison Verte SARL", "FR", "Lyon, France"),
    DemoVendor("nordic", "Nordic Home", "nordic-home@halles.local", "Lars Nyström",
               "Nordic Home AB", "SE", "Malmö, Sweden"),
)


def _offer(vendor: str, price: int, shipping: int, stock: int, days: tuple[int, int] = (2, 4),
           condition: str = "new") -> tuple[str, dict]:
    return vendor, {
        "price": {"amount": price, "currency": "EUR"},
        "shipping_fee": {"amount": shipping, "currency": "EUR"},
        "condition": condition,
        "stock": stock,
        "delivery": {"min_days": days[0], "max_days": days[1]},
    }


def _product(title: str, brand: str, category: str, gtin: str, description: str, attributes: dict,
             *offers: tuple[str, dict]) -> dict:
    return {
        "data": {
            "title": title, "brand": brand, "category": category, "gtin": gtin, "description": description,
            "attributes": attributes, "translations": french(gtin),  # French texts: devstack/seed_fr.py
        },
        "offers": list(offers),
    }


# Prices are VAT-included, in cents. Comments point at the cases the demo is meant to show.
PRODUCTS = (
    # --- outdoor ---
    _product("Trailhead Dome Tent 2P", "Alpenglow", "outdoor", "7312601815901",
             "A freestanding three-season tent for two, pitched in five minutes with colour-coded poles.",
             {"capacity": "2 people", "weight": "2.1 kg", "season": "3-season"},
             _offer("alpine", 18900, 0, 12), _offer("nordic", 17900, 1490, 4, (3, 6))),  # cheaper price, dearer total
    _product("Summit 35 L Hiking Backpack", "Alpenglow", "outdoor", "5003016613184",
             "A ventilated back panel, a rain cover in the lid and hip-belt pockets you can reach on the move.",
             {"volume": "35 L", "weight": "1.2 kg", "colour": "Slate blue"},
             _offer("alpine", 8990, 0, 20)),
    _product("Down Sleeping Bag -5 °C", "Fjellvind", "outdoor", "5900913909962",
             "Responsibly sourced 650-fill down in a mummy cut that packs to the size of a loaf of bread.",
             {"comfort": "-5 °C", "fill": "650 FP down", "weight": "980 g"},
             _offer("alpine", 21900, 0, 6), _offer("nordic", 22900, 0, 3)),
    _product("Titanium Camping Stove", "Fjellvind", "outdoor", "4003082462816",
             "Boils a litre in three and a half minutes and folds into its own 45 g pouch.",
             {"weight": "45 g", "fuel": "Butane/propane cartridge"},
             _offer("alpine", 4490, 390, 0), _offer("bytes", 4990, 490, 7, (1, 3))),  # cheapest is out of stock
    _product("Insulated Steel Bottle 750 ml", "Klarvatten", "outdoor", "5014821993514",
             "Keeps drinks cold for 24 hours or hot for 12; dishwasher-safe lid.",
             {"volume": "750 ml", "material": "18/8 stainless steel"},
             _offer("alpine", 2490, 390, 40), _offer("verte", 2290, 490, 25), _offer("nordic", 2590, 0, 15)),
    _product("LED Headlamp 400 Lumen", "Lumina", "outdoor", "5001909378653",
             "Rechargeable over USB-C, with a red night mode and a lock so it never switches on in your bag.",
             {"output": "400 lm", "battery": "1500 mAh Li-ion", "rating": "IPX4"},
             _offer("alpine", 3490, 0, 18), _offer("bytes", 3290, 390, 9, (1, 2))),

    # --- electronics ---
    _product("Wireless Noise Cancelling Headphones", "Sonora", "electronics", "8719754323199",
             "Adaptive noise cancelling, 40 hours of battery and multipoint pairing with two devices.",
             {"model": "WH-40 ANC", "battery": "40 h", "connectivity": "Bluetooth 5.3", "weight": "254 g"},
             _offer("bytes", 24900, 0, 14, (1, 2)), _offer("nordic", 23900, 990, 2, (3, 5)),
             _offer("bytes", 16900, 0, 5, (1, 3), condition="refurbished")),  # one vendor, two conditions
    _product("USB-C Docking Station 11-in-1", "Voltek", "electronics", "7308757491182",
             "Two HDMI outputs, gigabit Ethernet, an SD reader and 100 W pass-through charging on one cable.",
             {"model": "VD-1100", "ports": "11", "video": "2 x HDMI 4K60", "charging": "100 W PD pass-through"},
             _offer("bytes", 8990, 0, 10), _offer("nordic", 9490, 0, 3)),
    _product("Mechanical Keyboard 75% Hot-Swap", "Keyforge", "electronics", "5902527601898",
             "Gasket-mounted aluminium case, hot-swappable switches and a rotary knob.",
             {"model": "KF75 Pro", "layout": "75% ISO", "switches": "Linear, pre-lubed", "connection": "USB-C / 2.4 GHz / Bluetooth"},
             _offer("bytes", 12900, 0, 8)),
    _product("27-inch 4K USB-C Monitor", "Pixelia", "electronics", "7315597971149",
             "IPS panel with 98% DCI-P3, 90 W USB-C power delivery and a height-adjustable stand.",
             {"model": "PX-27U", "size": "27 in", "resolution": "3840 x 2160", "ports": "USB-C 90 W, HDMI 2.0, DP 1.4"},
             _offer("bytes", 42900, 0, 4, (2, 3)), _offer("nordic", 41900, 1990, 2, (4, 7))),
    _product("Portable Bluetooth Speaker", "Sonora", "electronics", "8711049746508",
             "Waterproof, floats, and plays for 20 hours; pairs with a second speaker for stereo.",
             {"model": "Wave 2", "battery": "20 h", "rating": "IP67", "weight": "540 g"},
             _offer("bytes", 7990, 0, 30), _offer("alpine", 7490, 490, 6)),
    _product("Smart LED Bulb E27 3-Pack", "Lumina", "electronics", "8715291703425",
             "Warm to cool white and 16 million colours, controlled by app or voice, no hub needed.",
             {"model": "Lumina Hue E27", "fitting": "E27", "output": "806 lm", "pack": "3 bulbs"},
             _offer("bytes", 3490, 490, 22), _offer("verte", 3690, 0, 10), _offer("nordic", 3290, 590, 0)),
    _product("Power Bank 20000 mAh 65 W", "Voltek", "electronics", "8403667127684",
             "Charges a laptop over USB-C PD and two phones at once; airline-safe capacity.",
             {"model": "PB-20K65", "capacity": "20000 mAh", "output": "65 W USB-C PD"},
             _offer("bytes", 5490, 0, 0), _offer("alpine", 5990, 390, 0)),  # sold out everywhere

    # --- kitchen ---
    _product("Électrique Kettle 1.7 L", "Cuisinière", "kitchen", "7302684656324",
             "Brushed steel with a temperature dial for green tea, coffee and baby formula.",
             {"capacity": "1.7 L", "power": "2200 W", "settings": "40-100 °C"},
             _offer("verte", 5990, 0, 11), _offer("nordic", 5490, 690, 7), _offer("bytes", 6290, 0, 3, (1, 2))),
    _product("Cast Iron Skillet 28 cm", "Fonderie Dubois", "kitchen", "4012233079247",
             "Pre-seasoned French cast iron that goes from hob to oven to table.",
             {"diameter": "28 cm", "weight": "3.1 kg", "hob": "All, including induction"},
             _offer("verte", 6490, 590, 9), _offer("nordic", 6990, 0, 5)),
    _product("Chef's Knife 20 cm", "Hakari", "kitchen", "7300268599524",
             "Forged from 67-layer Damascus steel with a pakkawood handle.",
             {"blade": "20 cm", "steel": "VG-10 core, 67 layers", "hardness": "60 HRC"},
             _offer("verte", 8900, 0, 6), _offer("nordic", 8500, 490, 4)),
    _product("Pour-Over Coffee Set", "Kaffeverk", "kitchen", "8408907866668",
             "Glass dripper, carafe and a hundred filters: everything for a clean, bright cup.",
             {"capacity": "600 ml", "material": "Borosilicate glass"},
             _offer("nordic", 3990, 490, 14), _offer("verte", 4290, 0, 8)),
    _product("Stoneware Dinner Plates Set of 4", "Maison Verte", "kitchen", "4017603137213",
             "Reactive glaze, each plate slightly different; dishwasher and microwave safe.",
             {"diameter": "27 cm", "pieces": "4", "colour": "Sage"},
             _offer("verte", 4900, 690, 10)),
    _product("Linen Tea Towels Set of 3", "Maison Verte", "kitchen", "7319010928154",
             "Stonewashed European linen that dries glasses without lint and gets softer every wash.",
             {"size": "50 x 70 cm", "material": "100% linen"},
             _offer("verte", 2400, 390, 30), _offer("nordic", 2200, 390, 12)),
    _product("Digital Kitchen Scale", "Cuisinière", "kitchen", "5010139624591",
             "Weighs to the gram up to 5 kg, with a tare button and a liquid mode in millilitres.",
             {"capacity": "5 kg", "precision": "1 g"},
             _offer("nordic", 1990, 390, 25), _offer("bytes", 2190, 0, 12, (1, 2))),

    # --- home ---
    _product("Linen Table Lamp", "Maison Verte", "home", "7317117777415",
             "A ceramic base with a natural linen shade; warm, diffused light for a reading corner.",
             {"height": "48 cm", "fitting": "E27", "colour": "Oat"},
             _offer("verte", 7900, 790, 5), _offer("nordic", 8200, 0, 0)),
    _product("Merino Wool Throw", "Fjellvind", "home", "3761547280382",
             "Woven from soft merino in a herringbone pattern, warm without weight.",
             {"size": "130 x 180 cm", "material": "100% merino wool"},
             _offer("nordic", 8900, 0, 9), _offer("verte", 9200, 0, 4)),
    _product("Oak Floating Shelf 80 cm", "Nordic Home", "home", "7312808414853",
             "Solid oak with a hidden bracket; holds 20 kg of books.",
             {"width": "80 cm", "depth": "20 cm", "max load": "20 kg"},
             _offer("nordic", 5900, 990, 7)),
    _product("Scented Candle Fig & Cedar", "Maison Verte", "home", "3765388853934",
             "Soy wax poured by hand in a reusable glass, 50 hours of burning time.",
             {"burn time": "50 h", "wax": "Soy"},
             _offer("verte", 2600, 390, 35), _offer("nordic", 2400, 590, 20)),
    _product("Cotton Waffle Bath Towel", "Nordic Home", "home", "3776338750043",
             "Organic cotton waffle weave that dries fast and stays light.",
             {"size": "70 x 140 cm", "material": "Organic cotton"},
             _offer("nordic", 2900, 390, 40), _offer("verte", 3100, 0, 12)),
    _product("Wall Clock 30 cm Silent", "Nordic Home", "home", "8714395755132",
             "A sweep movement that never ticks, behind a birch-ply face.",
             {"diameter": "30 cm", "movement": "Silent sweep"},
             _offer("nordic", 3900, 590, 6)),

    # --- garden ---
    _product("Bypass Pruning Shears", "Verdura", "garden", "4013735379903",
             "Hardened steel blades that cut branches up to 22 mm cleanly, with a one-hand lock.",
             {"cut capacity": "22 mm", "length": "21 cm"},
             _offer("verte", 2490, 390, 15), _offer("alpine", 2690, 0, 6)),
    _product("Galvanised Watering Can 9 L", "Verdura", "garden", "8715116372652",
             "A long spout and a removable brass rose for seedlings.",
             {"capacity": "9 L", "material": "Galvanised steel"},
             _offer("verte", 3490, 690, 8)),
    _product("Raised Garden Bed Cedar 120 cm", "Verdura", "garden", "4016761222021",
             "Untreated red cedar that resists rot; assembles without tools.",
             {"size": "120 x 60 x 30 cm", "wood": "Western red cedar"},
             _offer("verte", 12900, 1490, 3, (5, 10)), _offer("nordic", 13900, 0, 2, (7, 14))),
    _product("Solar Garden Lights 8-Pack", "Lumina", "garden", "5017299752881",
             "Dusk-to-dawn path lights that charge themselves; no wiring.",
             {"pack": "8 lights", "runtime": "8 h"},
             _offer("bytes", 2990, 490, 20), _offer("verte", 2790, 490, 0)),

    # --- sports ---
    _product("Yoga Mat 6 mm Natural Rubber", "Asana Lab", "sports", "3760018263305",
             "Grippy natural rubber with an alignment print, and a cotton carry strap.",
             {"thickness": "6 mm", "size": "183 x 68 cm"},
             _offer("alpine", 5990, 0, 10), _offer("verte", 5490, 690, 4)),
    _product("Adjustable Dumbbells 2 x 20 kg", "Ironclad", "sports", "7303483954864",
             "Dial-select from 2 to 20 kg in seconds; replaces fifteen pairs of dumbbells.",
             {"range": "2-20 kg", "increments": "15"},
             _offer("alpine", 29900, 2490, 2, (4, 8))),
    _product("Trail Running Shoes", "Stridewell", "sports", "3760579868285",
             "Aggressive 5 mm lugs and a rock plate for technical trails.",
             {"drop": "6 mm", "weight": "290 g", "size range": "EU 38-47"},
             _offer("alpine", 13900, 0, 16), _offer("nordic", 12900, 590, 5)),
    _product("Speed Skipping Rope", "Ironclad", "sports", "3768807290228",
             "Ball-bearing handles and an adjustable steel cable for double-unders.",
             {"length": "Up to 3 m", "handles": "Aluminium"},
             _offer("alpine", 1490, 390, 50), _offer("bytes", 1590, 0, 20)),
    _product("Cycling Helmet MIPS", "Stridewell", "sports", "3767918058888",
             "MIPS protection, 18 vents and a magnetic buckle you can close with gloves on.",
             {"sizes": "S / M / L", "weight": "270 g"},
             _offer("alpine", 8990, 0, 7), _offer("nordic", 8990, 490, 3)),
)


def _credentials(email: str, name: str, user_id: str, role: str) -> dict:
    return {"email": email, "password": DEMO_PASSWORD, "name": name, "user_id": user_id, "role": role}


def seed_catalogue(vendor_ids: dict[str, str]) -> dict:
    """The demo catalogue for vendors already created (vendor key -> vendor id). Idempotent."""
    from chalicelib.services import catalog, product_summaries, vendor_offers, vendors

    names = {}
    for vendor in VENDORS:
        vendors.register_vendor(vendor_ids[vendor.key], vendor.shop)  # a no-op when it exists
        names[vendor_ids[vendor.key]] = vendor.shop

    # A product is created by the first vendor that offers it; one bulk call per vendor.
    by_creator: dict[str, list[dict]] = {}
    for product in PRODUCTS:
        by_creator.setdefault(product["offers"][0][0], []).append(product["data"])
    product_ids: dict[str, str] = {}
    for key, datas in by_creator.items():
        for data, (view, _) in zip(datas, catalog.create_products(vendor_ids[key], datas)):
            product_ids[data["title"]] = view["product_id"]
            if data.get("translations") and view["translations"] != data["translations"]:
                # A product from an older snapshot, seeded before it had its French texts: give them (the
                # vendor's own edit route, so search indexes them too), or "bouteille" would find nothing.
                view = catalog.update_product(vendor_ids[key], view["product_id"], {**data, "images": view["images"]})
            illustrate(view, vendor_ids[key])

    entries: dict[str, list] = {}
    for product in PRODUCTS:
        for key, terms in product["offers"]:
            entries.setdefault(key, []).append((product_ids[product["data"]["title"]], terms))
    offers = 0
    for key, items in entries.items():
        offers += len(vendor_offers.upsert_offers(vendor_ids[key], items, keep_existing=True, refresh=False))
    for product_id in dict.fromkeys(product_ids.values()):
        product_summaries.refresh_product_summary(product_id, names=names)
    return {"products": len(product_ids), "offers": offers}


def illustrate(product: dict, creator_id: str) -> None:
    """Store the product's illustration and show it, unless the product already has its own images."""
    from chalicelib.domain.images import media_path
    from chalicelib.store import images as images_store
    from chalicelib.store import products as products_store
    from devstack.product_art import product_svg

    key = f"vendors/{creator_id}/seed-{product['product_id']}.svg"
    # The bucket is not part of the snapshot: the drawing is written on every start (a few KB each).
    images_store.put_image(key, product_svg(product["product_id"], product["title"], product["category"]).encode(),
                           "image/svg+xml")
    images = product["images"]
    if not images or images == [f"/img/{product['category']}.svg"]:
        products_store.set_product_images(product["product_id"], [media_path(key)], created_by=creator_id,
                                          expected=images)


def seed_payout_accounts(vendor_ids: dict[str, str], payments) -> None:
    """Demo vendors get an onboarded connected account on the local provider, so payouts transfer.

    Real vendors get theirs through Stripe Connect onboarding; the local provider's `add_account`
    stands in for the onboarding a person would click through. Idempotent: fixed account ids.
    """
    from chalicelib.store import vendors as vendors_store

    for key, vendor_id in vendor_ids.items():
        account = payments.add_account(f"acct_demo_{key.replace('-', '_')}", email=f"{key}@halles.local")
        vendors_store.set_vendor_payout_account(vendor_id, account["id"])


def seed_vendor_profiles(vendor_ids: dict[str, str]) -> None:
    """Demo vendors have the shop profile a real one fills in before onboarding. Idempotent."""
    from chalicelib.services import onboarding

    for vendor in VENDORS:
        onboarding.update_profile(vendor_ids[vendor.key], {
            "legal_name": vendor.legal_name, "country": vendor.country,
            "support_email": f"support@{vendor.email.split('@')[0]}.example",
            "shipping_origin": vendor.ships_from,
            "return_policy": "Returns accepted within 30 days of delivery, unused and in the original packaging.",
        })


def seed_vendor_readiness(vendor_ids: dict[str, str], payments=None) -> None:
    """Demo vendors sell: their account is recorded as onboarded (as the Connect webhook records it) and
    the admin approved them. Runs before the catalogue so that their offers are listed. Idempotent:
    a suspension an admin made since is kept (approve is refused from suspended; the seed ignores that)."""
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.vendors import state_from_account
    from chalicelib.services import onboarding, vendor_admin

    for key, vendor_id in vendor_ids.items():
        account = (payments.add_account(f"acct_demo_{key.replace('-', '_')}", email=f"{key}@halles.local")
                   if payments is not None else {"id": None, "charges_enabled": True, "payouts_enabled": True,
                                                 "details_submitted": True,
                                                 "capabilities": {"card_payments": "active", "transfers": "active"}})
        onboarding.record_account(vendor_id, state_from_account(account), int(account.get("created") or 0))
        try:
            vendor_admin.approve(vendor_id, admin_id="seed")
        except Conflict:
            pass  # suspended by the admin since: the seed does not undo it


def seed_demo(payments=None) -> dict:
    """Users and catalogue for the local stack; returns the demo credentials to print.

    `payments`: the local payment provider, when the stack runs one (demo payout accounts).
    """
    from chalicelib.observability import logger
    from chalicelib.services import accounts

    started = time.monotonic()
    admin_id = accounts.ensure_user(ADMIN["email"], DEMO_PASSWORD, "admin", ADMIN["name"])
    shopper_id = accounts.ensure_user(SHOPPER["email"], DEMO_PASSWORD, "shopper", SHOPPER["name"])
    vendor_ids = {
        v.key: accounts.ensure_user(v.email, DEMO_PASSWORD, "vendor", v.owner, shop_name=v.shop) for v in VENDORS
    }
    if payments is not None:
        seed_payout_accounts(vendor_ids, payments)
    seed_vendor_profiles(vendor_ids)
    seed_vendor_readiness(vendor_ids, payments)
    catalogue = seed_catalogue(vendor_ids)
    if payments is not None:
        seed_delivered_orders(shopper_id, vendor_ids, payments)
        seed_conversation_and_claim(shopper_id, vendor_ids)
    logger.info("demo data seeded", extra={**catalogue, "seconds": round(time.monotonic() - started, 2)})
    return {
        "admin": _credentials(ADMIN["email"], ADMIN["name"], admin_id, "admin"),
        "shopper": _credentials(SHOPPER["email"], SHOPPER["name"], shopper_id, "shopper"),
        "vendors": [
            {"email": v.email, "password": DEMO_PASSWORD, "name": v.shop, "owner": v.owner,
             "vendor_id": vendor_ids[v.key], "role": "vendor"}
            for v in VENDORS
        ],
        "catalogue": catalogue,
    }


# --- delivered orders to return (issue 9: returns) ------------------------------------------------

DELIVERED_ORDERS_MARKER = "seed:delivered-orders"
DEMO_ADDRESS = {"name": SHOPPER["name"], "line1": "12 rue de la République", "postal_code": "69002",
                "city": "Lyon", "country": "FR"}


def _first_offer(vendor_id: str) -> str | None:
    from chalicelib.store import offers as offers_store

    found, _ = offers_store.vendor_offers(vendor_id, 50, None)
    return next((o.offer_id for o in found if (o.status or "active") == "active" and int(o.available or 0) >= 2),
                None)


def seed_delivered_orders(shopper_id: str, vendor_ids: dict[str, str], payments) -> None:
    """Two delivered orders from two vendors (Alpine + Bytes) for the demo shopper, so a return can be
    tried at once on `make run`: placed and paid through the real checkout and the local provider,
    shipped and delivered by the vendors' own use cases; the first one's Alpine parcel is confirmed
    received (Alpine is paid out: a return then shows the transfer reversal on its Money page).

    Once per data directory: a marker in the settings table says it was done (a restart or a
    restored snapshot keeps the orders as the shopper and vendors left them)."""
    from datetime import UTC, datetime

    from chalicelib.domain.orders import PaymentOutcome
    from chalicelib.observability import logger
    from chalicelib.services import cart, checkout, fulfilment, payouts, settle_payment, wiring
    from chalicelib.store.base import bind
    from chalicelib.store.commission_rules import SettingModel

    bind()
    try:
        SettingModel.get(DELIVERED_ORDERS_MARKER)
        return
    except SettingModel.DoesNotExist:
        pass
    chosen = [(key, _first_offer(vendor_ids[key])) for key in ("alpine", "bytes")]
    if any(offer_id is None for _, offer_id in chosen):
        logger.warning("no delivered demo orders: an Alpine or Bytes offer with stock is missing")
        return
    for number in (1, 2):
        for _, offer_id in chosen:
            cart.set_line(shopper_id, offer_id, 1)
        placed = checkout.checkout(shopper_id=shopper_id, email=SHOPPER["email"],
                                   idempotency_key=f"seed-delivered-order-{number}",
                                   body={"address": DEMO_ADDRESS})
        order_id, intent_id = placed["order"]["order_id"], placed["payment"]["payment_intent_id"]
        intent = payments.complete_payment(intent_id)
        settle_payment.settle(order_id, PaymentOutcome.SUCCEEDED, orders=wiring.order_repository(),
                              effects=wiring.effect_runner(), now=datetime.now(UTC),
                              charge_id=intent.get("latest_charge"))
        for key, _ in chosen:
            vendor_id = vendor_ids[key]
            fulfilment.accept(vendor_id, order_id)
            fulfilment.ship(vendor_id, order_id, carrier="Colissimo", tracking_number=f"6A{number}{key.upper()}0001",
                            tracking_url=f"https://www.laposte.fr/outils/suivre-vos-envois?code=6A{number}0001")
            fulfilment.mark_delivered(vendor_id, order_id)
        if number == 1:
            payouts.confirm_receipt(shopper_id, order_id, vendor_ids["alpine"])
    SettingModel(DELIVERED_ORDERS_MARKER, value={"orders": 2}, version=1,
                 updated_at=datetime.now(UTC).isoformat(timespec="seconds"), updated_by="seed").save()


# --- a conversation and an open claim (issue 9: messages, claims) ----------------------------------

AFTERSALES_MARKER = "seed:conversation-and-claim"


def seed_conversation_and_claim(shopper_id: str, vendor_ids: dict[str, str]) -> None:
    """On the demo shopper's delivered orders: a conversation with Alpine about the first one (the
    shopper asks, Alpine answers) and an open claim on Bytes' part of the second, so `make run` shows
    the Messages pages and the Claims sections with something in them. The orders stay returnable.

    Once per data directory, like the delivered orders (a marker in the settings table)."""
    from datetime import UTC, datetime

    from chalicelib.observability import logger
    from chalicelib.services import claims, messages
    from chalicelib.store import orders as order_store
    from chalicelib.store.base import bind
    from chalicelib.store.commission_rules import SettingModel

    bind()
    try:
        SettingModel.get(AFTERSALES_MARKER)
        return
    except SettingModel.DoesNotExist:
        pass
    listed, _ = order_store.list_orders_for_shopper(shopper_id, limit=10)
    delivered = sorted((o for o in listed if o.get("status") == "paid"),
                       key=lambda o: (o.get("created_at", ""), o.get("order_number", "")))
    if len(delivered) < 2:
        logger.warning("no demo conversation or claim: the delivered demo orders are missing")
        return
    first, second = delivered[0]["order_id"], delivered[1]["order_id"]
    alpine, bytes_ = vendor_ids["alpine"], vendor_ids["bytes"]
    asked, _ = messages.write_about_order(
        messages.shopper(shopper_id), first, vendor_id=alpine, case_id=None,
        text="Hello! The tent came without its repair kit. Is one supposed to be in the bag?",
        client_message_id="seed-demo-question")
    messages.reply(messages.vendor(alpine), asked["thread"]["thread_id"],
                   text="Hello Camille, it should be: sorry about that. We are posting one to you today.",
                   client_message_id="seed-demo-answer")
    claims.open_claim(shopper_id, second, vendor_id=bytes_, reason="damaged",
                      text="The headphones' left ear cup is cracked.", key="seed-demo-claim")
    SettingModel(AFTERSALES_MARKER, value={"threads": 1, "claims": 1}, version=1,
                 updated_at=datetime.now(UTC).isoformat(timespec="seconds"), updated_by="seed").save()
