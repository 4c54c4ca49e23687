"""Search normalisation, index terms and query matching (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.search import (
    MAX_PREFIX,
    MAX_TERMS_PER_PRODUCT,
    index_terms,
    matches,
    parse_query,
    words,
)


def test_words_are_lowercase_accent_free_letters_and_digits():
    assert words("Crème-Brûlée Torch 2000") == ["creme", "brulee", "torch", "2000"]
    assert words("ÉLECTRIQUE  kettle_1,7L") == ["electrique", "kettle", "1", "7l"]
    assert words("Straße") == ["strasse"]  # casefold, not just lower
    assert words("  ...  ") == [] and words("") == []


def test_index_terms_are_every_prefix_from_two_characters():
    assert index_terms("Tent", "") == ["te", "ten", "tent"]
    assert set(index_terms("Dome Tent", "Alp")) == {"do", "dom", "dome", "te", "ten", "tent", "al", "alp"}


def test_single_characters_are_not_indexed_and_long_words_are_capped():
    terms = index_terms("X Ultralightweight", "")
    assert "x" not in terms
    assert max(len(t) for t in terms) == MAX_PREFIX
    assert "ultralight" in terms and "ultralightw" not in terms


def test_a_huge_title_writes_a_bounded_number_of_terms():
    title = " ".join(f"word{i:04d}xyz" for i in range(200))
    assert len(index_terms(title, "Brand")) == MAX_TERMS_PER_PRODUCT


def test_the_query_reads_its_longest_word_capped():
    query = parse_query("alp DOMES tent-pegs")
    assert query.words == ("alp", "domes", "tent", "pegs")
    assert query.lookup_term == "domes"
    assert parse_query("pegs tent").lookup_term == parse_query("tent pegs").lookup_term  # ties: deterministic
    assert parse_query("ultralightweight").lookup_term == "ultralight"


def test_query_words_implied_by_longer_ones_are_dropped():
    assert parse_query("te tent").words == ("tent",)


def test_queries_without_a_searchable_word_match_nothing():
    for q in ("", "x", "a b c", "!!!"):
        query = parse_query(q)
        assert not query.can_match and not matches(query, "a b c", "x")


def test_every_query_word_must_prefix_a_title_or_brand_word():
    title, brand = "Trailhead Dome Tent 2P", "Alpenglow"
    assert matches(parse_query("tent"), title, brand)
    assert matches(parse_query("TRAIL alpen"), title, brand)
    assert matches(parse_query("dome 2"), title, brand)  # one-character words still constrain
    assert matches(parse_query("trailhead"), title, brand)
    assert not matches(parse_query("tent 3"), title, brand)
    assert not matches(parse_query("head"), title, brand)  # prefixes, not infixes
    assert not matches(parse_query("tents"), title, brand)  # no stemming
    assert not matches(parse_query("tnet"), title, brand)  # no fuzzy matching


def test_long_query_words_are_checked_in_full():
    title = "Ultralightweight Quilt"
    assert matches(parse_query("ultralightweight"), title, "")
    assert not matches(parse_query("ultralightwrong"), title, "")  # same 10-character index term


@given(st.text(max_size=60), st.text(max_size=20))
def test_a_product_is_found_by_each_of_its_own_words(title, brand):
    for word in words(title) + words(brand):
        query = parse_query(word)
        if query.can_match:
            assert query.lookup_term in index_terms(title, brand) or len(index_terms(title, brand)) == MAX_TERMS_PER_PRODUCT
            assert matches(query, title, brand)
