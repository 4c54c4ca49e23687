"""What a shop's public page may show (chalicelib/domain/vendor_pages.py): public fields only, and
ratings as averages only from MIN_PUBLIC_ANSWERS answers up."""

from __future__ import annotations

from chalicelib.domain.surveys import figures_of
from chalicelib.domain.vendor_pages import MIN_PUBLIC_ANSWERS, public_profile, public_ratings

PROFILE = {"legal_name": "Secret Legal SARL", "country": "FR", "support_email": "help@secret.example",
           "return_policy": "Thirty days, in the box, at our cost.", "shipping_origin": "Lyon", "logo_url": None}


def answers(*scores: int) -> dict:
    return figures_of([{"answered": 1, f"vendor_{s}": 1, f"delivery_{s}": 1, f"order_{s}": 1, "nps_9": 1}
                       for s in scores]).to_json()


def test_the_public_profile_keeps_no_legal_or_contact_data():
    page = public_profile("v1", "Shop", PROFILE, window_days=30, restocking_percent=0, ratings=None)
    assert page["country"] == "FR" and page["shipping_origin"] == "Lyon"
    assert page["return_policy"] == {"text": PROFILE["return_policy"], "window_days": 30, "restocking_percent": 0}
    assert "Secret Legal" not in repr(page) and "help@secret.example" not in repr(page)


def test_ratings_stay_hidden_below_the_threshold_then_show_averages_without_distribution():
    assert public_ratings(answers(*[5] * (MIN_PUBLIC_ANSWERS - 1))) is None
    ratings = public_ratings(answers(5, 4, 1))
    assert ratings["answers"] == 3
    assert ratings["vendor"] == {"average": round(10 / 3, 2), "satisfied_rate": round(2 / 3, 4)}
    assert "distribution" not in repr(ratings)
