"""The survey rules: the link's token (tampering, expiry, another purpose refused), what a low score
is, and figures derived from counters (averages, response rate, NPS)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import surveys as rules
from chalicelib.domain.notifications import Purpose, sign_unsubscribe

SECRET = "unit-secret"
NOW = 1_800_000_000
ORDER, VENDOR = "ord_3f2a9c1d5e7b8a6c4d2e0f1a", "alpine"


def token(**overrides) -> str:
    args = {"order_id": ORDER, "vendor_id": VENDOR, "expires_at": NOW + 60, **overrides}
    return rules.sign_token(SECRET, **args)


def test_a_genuine_token_names_its_sub_order():
    assert rules.verify_token((SECRET,), token(), now=NOW) == (ORDER, VENDOR)


def test_a_token_signed_with_the_old_key_still_verifies_while_the_key_rolls():
    assert rules.verify_token(("new-key", SECRET), token(), now=NOW) == (ORDER, VENDOR)


def test_an_expired_token_is_refused_as_expired():
    with pytest.raises(rules.BadSurveyToken) as refused:
        rules.verify_token((SECRET,), token(expires_at=NOW - 1), now=NOW)
    assert refused.value.reason == "expired"


@given(st.integers(min_value=0, max_value=200),
       st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."))
def test_any_altered_character_is_refused(position, replacement):
    genuine = token()
    position %= len(genuine)
    altered = genuine[:position] + replacement + genuine[position + 1:]
    # A segment's last base64 character carries padding bits: changing only those is the same token.
    if altered == genuine or position + 1 == len(genuine) or genuine[position + 1] == ".":
        return
    with pytest.raises(rules.BadSurveyToken):
        rules.verify_token((SECRET,), altered, now=NOW)


def test_a_token_for_another_sub_order_cannot_be_forged_from_a_genuine_one():
    genuine = token()
    other_payload = token(vendor_id="bytes").split(".")[0]
    with pytest.raises(rules.BadSurveyToken) as refused:
        rules.verify_token((SECRET,), f"{other_payload}.{genuine.split('.')[1]}", now=NOW)
    assert refused.value.reason == "tampered"


def test_an_unsubscribe_token_signed_with_the_same_key_is_not_a_survey_token():
    unsubscribe = sign_unsubscribe(SECRET, user_id="u1", purpose=Purpose.SURVEYS, expires_at=NOW + 60)
    with pytest.raises(rules.BadSurveyToken):
        rules.verify_token((SECRET,), unsubscribe, now=NOW)


@pytest.mark.parametrize("scores, low", [
    ((5, 5, 5), {}),
    ((3, 3, 3), {}),
    ((2, 5, 5), {"order": 2}),
    ((5, 1, 2), {"vendor": 1, "delivery": 2}),
], ids=["all-good", "all-average", "order-low", "vendor-and-delivery-low"])
def test_a_csat_of_two_or_less_is_low(scores, low):
    answer = rules.Answer(order=scores[0], vendor=scores[1], delivery=scores[2], nps=7)
    assert answer.low_scores == low


def test_a_score_out_of_range_is_refused():
    with pytest.raises(ValueError, match="delivery"):
        rules.Answer(order=3, vendor=3, delivery=6, nps=7)
    with pytest.raises(ValueError, match="nps"):
        rules.Answer(order=3, vendor=3, delivery=3, nps=11)


def test_figures_average_each_question_and_score_nps_from_the_counters():
    answers = [rules.Answer(5, 4, 3, 10), rules.Answer(4, 4, 1, 9), rules.Answer(1, 2, 2, 3), rules.Answer(5, 5, 5, 7)]
    figures = rules.figures_of([{"sent": 8}, *(a.increments() for a in answers)]).to_json()
    assert figures["sent"] == 8 and figures["answered"] == 4 and figures["response_rate"] == 0.5
    assert figures["csat"]["order"]["average"] == 3.75
    assert figures["csat"]["delivery"]["average"] == 2.75
    assert figures["csat"]["vendor"]["satisfied_rate"] == 0.75
    assert figures["nps"] == {**figures["nps"], "promoters": 2, "passives": 1, "detractors": 1, "score": 25.0}
    assert {d["score"]: d["count"] for d in figures["csat"]["order"]["distribution"]} == {1: 1, 2: 0, 3: 0, 4: 1, 5: 2}


def test_no_survey_gives_no_rate_and_no_average_rather_than_zero():
    figures = rules.figures_of([]).to_json()
    assert figures["response_rate"] is None
    assert figures["csat"]["order"]["average"] is None and figures["nps"]["score"] is None


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(0, 10)), max_size=30))
def test_the_nps_is_between_minus_100_and_100_and_averages_within_1_and_5(scores):
    figures = rules.figures_of(rules.Answer(*s).increments() for s in scores).to_json()
    assert figures["answered"] == len(scores)
    if scores:
        assert -100 <= figures["nps"]["score"] <= 100
        assert all(1 <= figures["csat"][q]["average"] <= 5 for q in rules.CSAT_QUESTIONS)


def test_the_follow_up_text_names_the_low_scores_and_quotes_the_comment():
    text = rules.follow_up_text(rules.Answer(2, 4, 1, 5, comment="Box crushed"), "H-1")
    assert "order 2/5" in text and "delivery 1/5" in text and "vendor" not in text.split("(")[1].split(")")[0]
    assert '"Box crushed"' in text


def test_the_follow_up_text_speaks_the_shoppers_language():
    text = rules.follow_up_text(rules.Answer(2, 4, 1, 5, comment="Carton écrasé"), "H-1", "fr")
    assert text == "Enquête de satisfaction de la commande H-1 : note basse (commande 2/5, livraison 1/5). " \
                   "Le client a écrit : « Carton écrasé »"
    assert rules.follow_up_text(rules.Answer(2, 4, 1, 5), "H-1", "de").startswith("Satisfaction survey for order H-1")
