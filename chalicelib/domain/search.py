"""Catalogue search on DynamoDB alone: a term index in a table of its own, French and English.

How it works
------------
- Normalisation: text is Unicode-decomposed (NFKD), accents dropped, case-folded, then
  split on anything that is not a letter or a digit. "Crème-Brûlée Torch 2000" becomes
  `creme`, `brulee`, `torch`, `2000`.
- Light stemming (`stem`), the same for both languages because a query does not say its
  language: plural `s`/`x`, a final `e` (French feminine, English silent e) and a final `y`
  (`i`) are folded, so "bottles" ~ "bottle", "bouteilles" ~ "bouteille", "batteries" ~
  "battery", "jeux" ~ "jeu", "chevaux" ~ "cheval", "noires" ~ "noir". Words with digits are
  not stemmed. Irregular plurals ("knives", "mice") are left to the typo tolerance or missed.
- Indexing (when a product is created or edited): every word of every title (each language
  the product has), of the brand and of the category's names (English and French), and each
  prefix of the word and of its stem from 2 up to `MAX_PREFIX` (10) characters, is a *term*;
  then, for words whose stem has `FUZZY_MIN` (4) or more letters, the *typo keys* `~stem` and
  `~stem-with-one-letter-deleted` (stem cut to `FUZZY_MAX` letters). One search item per
  (term, product) goes to the `search` table (pk `term`, sk the product's `title_key`).
- Querying (chalicelib/services/catalog.py): the query's words are read longest first; a
  word's postings (its stem cut to `MAX_PREFIX`), then its typo keys, are read until some
  product matches every word; the candidates are scored in memory (`score`).
- Matching a query word against a product word: same word, same stem, prefix (of the word or
  the stem: "alp" finds "Alpenglow"), or at most one edit (deletion, insertion, substitution,
  transposition of neighbours) between the stems or the words for words of 4+ letters: a
  typo key pair shared by both sides finds every such candidate without a scan (SymSpell).
- Ranking: a word scores its best match, weighted by where it matched: title 3, brand 2,
  category 1; exact 1, same stem 0.9, prefix 0.75, typo 0.5. Ties: in stock first, then title.
- Did you mean: results found through a typo suggest the corrected query; when no product
  matches every word, the products matching the most words are shown with the query those
  words make ("headphones sony" -> "headphones"); when nothing matches, the closest word of a
  product found by the first 3-4 letters is suggested.

Limits (on purpose, for a marketplace of modest size; an OpenSearch index is the next step)
------------------------------------------------------------------------------------------
- One typo per word (two typos only reach the prefix suggestion); no synonyms; no infixes.
- Only titles, brand and category names are indexed; descriptions and attributes are not.
- A search considers at most `MAX_CANDIDATES` products (the postings read are also bounded by
  the read budget): a very common word then ranks, sorts and counts facets over those only;
  the answer says so (`truncated`).
- Write amplification: a product writes one item per distinct term: about 20 per word with
  the typo keys, capped at `MAX_TERMS_PER_PRODUCT` (typo keys are cut first). Products are
  written rarely, so this is cheap.
- Hot terms: a short, common prefix ("ca") is one partition holding many items; its reads are
  budgeted. A query whose words are all one character long matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_PREFIX = 2
MAX_PREFIX = 10
MAX_QUERY_WORDS = 8
MAX_QUERY_LENGTH = 100
MAX_TERMS_PER_PRODUCT = 700
FUZZY_MIN = 4  # shorter words would match too much with one edit ("cat" ~ "car", "bat", "cut"...)
FUZZY_MAX = 12  # typo keys of longer words are made from their first 12 letters
FUZZY_MARK = "~"
MAX_CANDIDATES = 300
MAX_LOOKUP_WORDS = 3  # words whose postings are read, longest first

FIELD_WEIGHTS = {"title": 3.0, "brand": 2.0, "category": 1.0}
EXACT, SAME_STEM, PREFIX, TYPO = 1.0, 0.9, 0.75, 0.5

_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The searchable words of a text, in order: lowercase, accent-free letters and digits."""
    return _WORD.findall(normalise(text or ""))


def stem(word: str) -> str:
    """A light French/English stem: plurals, a final e and a final y folded (see the module doc)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):  # bateaux -> bateau
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 4:  # chevaux -> cheval
        word = word[:-3] + "al"
    elif word.endswith(("eux", "oux")):  # jeux -> jeu, genoux -> genou
        word = word[:-1]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    return word


def prefixes(word: str) -> list[str]:
    """The prefix terms of one word: its prefixes from MIN_PREFIX to MAX_PREFIX characters."""
    return [word[:n] for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1)]


def deletions(word: str) -> list[str]:
    """The word with one letter deleted, each way, without duplicates."""
    return list(dict.fromkeys(word[:i] + word[i + 1:] for i in range(len(word))))


def typo_keys(word: str) -> list[str]:
    """The typo keys of a word: two words within one edit share at least one key."""
    base = stem(word)[:FUZZY_MAX]
    if len(base) < FUZZY_MIN:
        return []
    return [FUZZY_MARK + k for k in [base, *deletions(base)]]


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance (adjacent transpositions) of at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def index_terms(title: str, brand: str, *, other_titles: Iterable[str] = (), category_names: Iterable[str] = ()
                ) -> list[str]:
    """Every term a product is found by, without duplicates: prefix terms first, then typo keys."""
    all_words = [w for text in (title, *other_titles, brand, *category_names) for w in words(text)]
    seen: dict[str, None] = {}
    for word in all_words:
        for term in prefixes(word) + prefixes(stem(word)):
            seen.setdefault(term, None)
    for word in all_words:
        for term in typo_keys(word):
            seen.setdefault(term, None)
    return list(seen)[:MAX_TERMS_PER_PRODUCT]


@dataclass(frozen=True)
class SearchQuery:
    """A catalogue search as the index reads it: its words and the first term looked up."""

    words: tuple[str, ...]  # every word a hit must match
    lookup_term: str | None  # the first term read from the index; None: nothing can match

    @property
    def can_match(self) -> bool:
        return self.lookup_term is not None

    @property
    def lookup_words(self) -> tuple[str, ...]:
        """The words whose postings may be read, most selective (longest stem) first."""
        indexable = [w for w in self.words if len(stem(w)) >= MIN_PREFIX]
        ordered = sorted(indexable, key=lambda w: (-min(len(stem(w)), MAX_PREFIX), w))
        return tuple(ordered[:MAX_LOOKUP_WORDS])


def lookup_term(word: str) -> str:
    return stem(word)[:MAX_PREFIX]


def parse_query(q: str) -> SearchQuery:
    found = words(q[:MAX_QUERY_LENGTH])
    # A word that prefixes another query word adds no constraint ("te tent" == "tent").
    unique = [w for w in dict.fromkeys(found) if not any(o != w and o.startswith(w) for o in found)]
    kept = tuple(unique[:MAX_QUERY_WORDS])
    query = SearchQuery(kept, None)
    first = query.lookup_words[:1]
    return SearchQuery(kept, lookup_term(first[0]) if first else None)


@dataclass(frozen=True)
class SearchDocument:
    """What search knows of a product: its words per field (every language's title)."""

    product_id: str
    title_words: tuple[str, ...]
    brand_words: tuple[str, ...]
    category_words: tuple[str, ...] = ()

    @classmethod
    def of(cls, product_id: str, titles: Sequence[str], brand: str, category_names: Sequence[str] = ()
           ) -> SearchDocument:
        return cls(product_id, tuple(w for t in titles for w in words(t)), tuple(words(brand)),
                   tuple(w for n in category_names for w in words(n)))


def word_match(query_word: str, word: str) -> float:
    """How well one query word matches one product word (0: not at all)."""
    if word == query_word:
        return EXACT
    sq, sw = stem(query_word), stem(word)
    if sq == sw:
        return SAME_STEM
    if word.startswith(query_word) or sw.startswith(sq):
        return PREFIX
    if len(sq) >= FUZZY_MIN and (within_one_edit(sq, sw) or within_one_edit(query_word, word)):
        return TYPO
    return 0.0


@dataclass(frozen=True)
class Scored:
    """How well a product matches a search: score, matched words, typos corrected."""

    score: float
    matched: tuple[str, ...]  # the query words this product matches
    corrections: dict[str, str] = field(default_factory=dict)  # query word -> the product word it was a typo of

    def matches_all(self, query: SearchQuery) -> bool:
        return len(self.matched) == len(query.words)


def score(query: SearchQuery, doc: SearchDocument) -> Scored:
    total, matched, corrections = 0.0, [], {}
    fields = (("title", doc.title_words), ("brand", doc.brand_words), ("category", doc.category_words))
    for q in query.words:
        best, best_word = 0.0, ""
        for name, field_words in fields:
            for w in field_words:
                quality = word_match(q, w) * FIELD_WEIGHTS[name]
                if quality > best:
                    best, best_word = quality, w
        if best:
            matched.append(q)
            total += best
            if word_match(q, best_word) == TYPO:
                corrections[q] = best_word
    return Scored(total, tuple(matched), corrections)


def matches(query: SearchQuery, title: str, brand: str) -> bool:
    """Does every query word match some word of the title or the brand (prefix, stem or one typo)?"""
    if not query.can_match:
        return False
    return score(query, SearchDocument.of("", [title], brand)).matches_all(query)


def suggestion(query: SearchQuery, scored: Sequence[Scored]) -> str | None:
    """The query to suggest for these results: corrected typos, without the words nothing matched."""
    if not scored:
        return None
    best = max(scored, key=lambda s: (len(s.matched), s.score))
    suggested = [best.corrections.get(w, w) for w in query.words if w in best.matched]
    text = " ".join(suggested)
    return text if suggested and text != " ".join(query.words) else None


def closest_word(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate word nearest to `word` (shared prefix, then length), for a last-resort suggestion."""
    def common(a: str, b: str) -> int:
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    ranked = sorted(set(candidates), key=lambda c: (-common(c, word), abs(len(c) - len(word)), c))
    return ranked[0] if ranked else None
