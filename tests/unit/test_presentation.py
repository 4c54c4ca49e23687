"""Presentation rules of proposed products and the offer lifecycle (pure, no I/O)."""

from __future__ import annotations

import pytest

from chalicelib.domain.catalog import (
    OFFER_ACTIVE,
    OFFER_DELISTED,
    OFFER_PAUSED,
    Offer,
    next_offer_status,
    rank_offers,
    summarise,
)
from chalicelib.domain.errors import Conflict
from chalicelib.domain.money import Money
from chalicelib.domain.presentation import missing_attributes, presentation_problems, title_problem


@pytest.mark.parametrize("title", ["Trail Running Shoes", "USB-C Docking Station 11-in-1", "Cycling Helmet MIPS",
                                   "LED Headlamp 400 Lumen", "Wholesale Coffee Beans 1 kg"])
def test_descriptive_titles_pass(title):
    assert title_problem(title) is None


@pytest.mark.parametrize("title, says", [
    ("Mug", "10 to 120"),
    ("A" * 121, "10 to 120"),
    ("TRAIL RUNNING SHOES", "capitals"),
    ("Trail Shoes BEST PRICE", "best price"),
    ("Trail Running Shoes on sale", "sale"),
    ("Tent - Free Shipping", "free shipping"),
    ("Great Trail Running Shoes!", "exclamation"),
    ("Cheapest Tent Ever Made", "cheap"),
])
def test_short_shouting_or_promotional_titles_are_refused_with_the_reason(title, says):
    assert says in title_problem(title).lower()


def test_each_category_requires_its_own_attributes():
    assert missing_attributes("electronics", {}) == ("model",)
    assert missing_attributes("electronics", {"Model": "WH-40"}) == ()
    assert missing_attributes("fashion", {"size": "M"}) == ("colour",)
    assert missing_attributes("fashion", {"size": "M", "Color": "Navy"}) == ()  # the American spelling counts
    assert missing_attributes("fashion", {"size": "M", "colour": "  "}) == ("colour",)
    assert missing_attributes("outdoor", {}) == ()


def test_every_problem_is_named_by_its_field():
    problems = presentation_problems("SUPER DEAL PHONE", "electronics", {})
    assert set(problems) == {"title", "attributes.model"}
    assert presentation_problems("Pocket Phone 6.1 in", "electronics", {"model": "P6"}) == {}


def _offer(offer_id: str, total: int, status: str = OFFER_ACTIVE, available: int = 3) -> Offer:
    return Offer(offer_id, "prd_1", f"ven_{offer_id}", "new", Money(total, "EUR"), Money(0, "EUR"), available, 1, 2,
                 status=status)


def test_paused_and_delisted_offers_are_neither_ranked_nor_counted():
    offers = [_offer("cheap", 900, OFFER_PAUSED), _offer("gone", 800, OFFER_DELISTED), _offer("dear", 1000)]
    assert [r.offer.offer_id for r in rank_offers(offers)] == ["dear"]
    summary = summarise(offers)
    assert (summary.best_offer.offer_id, summary.offer_count, summary.min_total) == ("dear", 1, 1000)
    assert summary.vendor_ids == frozenset({"ven_dear"})
    nothing = summarise([_offer("cheap", 900, OFFER_PAUSED)])
    assert (nothing.best_offer, nothing.offer_count, nothing.in_stock) == (None, 0, False)


@pytest.mark.parametrize("current, action, after", [
    (OFFER_ACTIVE, "pause", OFFER_PAUSED), (OFFER_PAUSED, "pause", OFFER_PAUSED),
    (OFFER_PAUSED, "resume", OFFER_ACTIVE), (OFFER_ACTIVE, "resume", OFFER_ACTIVE),
    (OFFER_ACTIVE, "delist", OFFER_DELISTED), (OFFER_PAUSED, "delist", OFFER_DELISTED),
    (OFFER_DELISTED, "delist", OFFER_DELISTED),
])
def test_offer_actions_and_their_repeats(current, action, after):
    assert next_offer_status(current, action) == after


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_delisting_is_final(action):
    with pytest.raises(Conflict) as refused:
        next_offer_status(OFFER_DELISTED, action)
    assert refused.value.code == "offer_delisted"
