"""What the public vendor page (`GET /vendors/{vendor_id}`) may say about a shop.

Pure: no I/O. A shop's record holds legal, contact and payout data; the public page shows only
what a shopper needs to choose a vendor: the shop name, where it ships from, its return policy
(with the window in days) and, once enough shoppers answered its surveys, its ratings as
averages. The legal name, support e-mail, Stripe account and approval history never leave here.

Ratings are anonymised: averages and shares only (no distribution, no comment, no product), over
the last RATING_WEEKS weeks, and only from MIN_PUBLIC_ANSWERS answers up, so that one shopper's
score cannot be read off a page that changed after their answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIN_PUBLIC_ANSWERS = 3
RATING_WEEKS = 52
PUBLIC_QUESTIONS = ("vendor", "delivery", "order")


def public_ratings(figures: Mapping[str, Any]) -> dict | None:
    """The public summary of a vendor's survey figures (domain.surveys.Figures.to_json()), or None
    while fewer than MIN_PUBLIC_ANSWERS shoppers answered."""
    answered = int(figures.get("answered") or 0)
    if answered < MIN_PUBLIC_ANSWERS:
        return None
    csat = figures.get("csat") or {}
    return {
        "answers": answered,
        "weeks": RATING_WEEKS,
        **{question: {"average": (csat.get(question) or {}).get("average"),
                      "satisfied_rate": (csat.get(question) or {}).get("satisfied_rate")}
           for question in PUBLIC_QUESTIONS},
    }


def public_profile(vendor_id: str, name: str, profile: Mapping[str, Any] | None, *, window_days: int,
                   restocking_percent: int, ratings: dict | None) -> dict:
    """The public fields of a shop. `profile` is the stored VendorProfile JSON (None before onboarding)."""
    profile = profile or {}
    return {
        "vendor_id": vendor_id,
        "name": name,
        "country": profile.get("country") or None,
        "shipping_origin": profile.get("shipping_origin") or None,
        "logo_url": profile.get("logo_url") or None,
        "return_policy": {
            "text": profile.get("return_policy") or None,
            "window_days": window_days,
            "restocking_percent": restocking_percent,
        },
        "ratings": ratings,
    }
