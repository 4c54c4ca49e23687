"""Search normalisation, index terms and query matching (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.search import (
    FUZZY_MAX,
    MAX_PREFIX,
    MAX_TERMS_PER_PRODUCT,
    SearchDocument,
    closest_word,
    index_terms,
    matches,
    parse_query,
    score,
    stem,
    suggestion,
    typo_keys,
    within_one_edit,
    word_match,
    words,
)


def test_words_are_lowercase_accent_free_letters_and_digits():
    assert words("Crème-Brûlée Torch 2000") == ["creme", "brulee", "torch", "2000"]
    assert words("ÉLECTRIQUE  kettle_1,7L") == ["electrique", "kettle", "1", "7l"]
    assert words("Straße") == ["strasse"]  # casefold, not just lower
    assert words("  ...  ") == [] and words("") == []


def test_index_terms_are_every_prefix_from_two_characters_then_typo_keys():
    assert index_terms("Tent", "") == ["te", "ten", "tent", "~tent", "~ent", "~tnt", "~tet", "~ten"]
    prefix_terms = {t for t in index_terms("Dome Tent", "Alp") if not t.startswith("~")}
    assert prefix_terms == {"do", "dom", "dome", "te", "ten", "tent", "al", "alp"}


def test_every_language_title_and_category_name_is_indexed():
    terms = index_terms("Insulated Steel Bottle", "Klarvatten", other_titles=["Bouteille isotherme en acier"],
                        category_names=["Outdoor & Camping", "Plein air & camping"])
    assert {"bottl", "bouteill", "isotherm", "outdoor", "plein", "camping"} <= set(terms)


def test_single_characters_are_not_indexed_and_long_words_are_capped():
    terms = index_terms("X Ultralightweight", "")
    assert "x" not in terms
    assert max(len(t) for t in terms if not t.startswith("~")) == MAX_PREFIX
    assert max(len(t) for t in terms) == 1 + FUZZY_MAX  # "~" and the first 12 letters
    assert "ultralight" in terms and "ultralightw" not in terms


def test_a_huge_title_writes_a_bounded_number_of_terms():
    title = " ".join(f"word{i:04d}xyz" for i in range(200))
    assert len(index_terms(title, "Brand")) == MAX_TERMS_PER_PRODUCT


def test_the_query_reads_its_longest_word_capped():
    query = parse_query("alp DOMES tent-pegs")
    assert query.words == ("alp", "domes", "tent", "pegs")
    assert query.lookup_term == "tent"  # the longest stem ("domes" is "dom", "pegs" is "peg")
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
    assert matches(parse_query("tents"), title, brand)  # plurals
    assert matches(parse_query("tnet"), title, brand)  # one typo per word
    assert not matches(parse_query("tnte"), title, brand)  # two edits


def test_long_query_words_are_checked_in_full():
    title = "Ultralightweight Quilt"
    assert matches(parse_query("ultralightweight"), title, "")
    assert not matches(parse_query("ultralightwrong"), title, "")  # same 10-character index term
    assert matches(parse_query("ultralightweigth"), title, "")  # one transposition


@given(st.text(max_size=60), st.text(max_size=20))
def test_a_product_is_found_by_each_of_its_own_words(title, brand):
    for word in words(title) + words(brand):
        query = parse_query(word)
        if query.can_match:
            assert query.lookup_term in index_terms(title, brand) or len(index_terms(title, brand)) == MAX_TERMS_PER_PRODUCT
            assert matches(query, title, brand)


STEMS = [
    ("bottles", "bottle"), ("bouteilles", "bouteille"), ("batteries", "battery"), ("jeux", "jeu"),
    ("chevaux", "cheval"), ("bateaux", "bateau"), ("noires", "noir"), ("boxes", "box"), ("watches", "watch"),
    ("glasses", "glass"), ("headphones", "headphone"), ("chaussures", "chaussure"), ("lampes", "lampe"),
    ("couteaux", "couteau"), ("toys", "toy"),
]


def test_plurals_and_feminines_share_their_stem_in_both_languages():
    for plural, singular in STEMS:
        assert stem(plural) == stem(singular), (plural, singular)


def test_short_words_digits_and_invariable_endings_keep_their_form():
    assert stem("bus") == "bus" and stem("tennis") == "tennis" and stem("grass") == "grass"
    assert stem("750ml") == "750ml" and stem("4k") == "4k"


def test_one_edit_means_one_deletion_insertion_substitution_or_neighbour_swap():
    assert within_one_edit("tent", "tnet") and within_one_edit("tent", "tet") and within_one_edit("tent", "tents")
    assert within_one_edit("tent", "rent") and within_one_edit("tent", "tent")
    assert not within_one_edit("tent", "netw") and not within_one_edit("tent", "te")
    assert not within_one_edit("abcd", "badc")


def test_short_words_get_no_typo_keys():
    assert typo_keys("cat") == [] and typo_keys("tents")[0] == "~tent"


_NO_STEMMING = "abcdfghijklmnopqrtuvwz"  # letters that never trigger a stemming rule at a word's end


@st.composite
def word_and_typo(draw):
    word = draw(st.text(_NO_STEMMING, min_size=5, max_size=10))
    i = draw(st.integers(0, len(word) - 2))
    letter = draw(st.sampled_from(_NO_STEMMING))
    kind = draw(st.sampled_from(["delete", "insert", "substitute", "swap"]))
    typo = {"delete": word[:i] + word[i + 1:], "insert": word[:i] + letter + word[i:],
            "substitute": word[:i] + letter + word[i + 1:], "swap": word[:i] + word[i + 1] + word[i] + word[i + 2:]}[kind]
    return word, typo


@given(word_and_typo())
def test_one_typo_shares_a_typo_key_and_matches(pair):
    word, typo = pair
    assert set(typo_keys(word)) & set(typo_keys(typo))
    assert word_match(typo, word) > 0


def test_title_matches_rank_above_brand_and_category_matches():
    query = parse_query("lumina")
    in_title = SearchDocument.of("a", ["Lumina Desk Lamp"], "Other", ["Home & Living"])
    in_brand = SearchDocument.of("b", ["LED Headlamp"], "Lumina", ["Outdoor"])
    in_category = SearchDocument.of("c", ["Desk"], "Other", ["Lumina things"])
    assert score(query, in_title).score > score(query, in_brand).score > score(query, in_category).score


def test_an_exact_word_ranks_above_a_prefix_and_a_typo():
    query = parse_query("tent")
    exact = SearchDocument.of("a", ["Dome Tent"], "")
    prefix = SearchDocument.of("b", ["Tentacle Toy"], "")
    typo = SearchDocument.of("c", ["Rent a boat"], "")
    assert score(query, exact).score > score(query, prefix).score > score(query, typo).score > 0


def test_a_typo_suggests_the_corrected_query_and_unmatched_words_are_dropped():
    doc = SearchDocument.of("a", ["Trailhead Dome Tent 2P"], "Alpenglow")
    query = parse_query("alpenglow tnet")
    assert suggestion(query, [score(query, doc)]) == "alpenglow tent"
    query = parse_query("tent sony")
    assert suggestion(query, [score(query, doc)]) == "tent"
    query = parse_query("dome tent")
    assert suggestion(query, [score(query, doc)]) is None  # nothing to correct


def test_the_closest_word_shares_the_longest_prefix():
    assert closest_word("bouteiiile", ["bouteille", "boussole", "bout"]) == "bouteille"
    assert closest_word("x", []) is None
