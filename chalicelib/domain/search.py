"""Catalogue search on DynamoDB alone: a prefix index in a table of its own.

How it works
------------
- Normalisation: text is Unicode-decomposed (NFKD), accents dropped, case-folded, then
  split on anything that is not a letter or a digit. "Crème-Brûlée Torch 2000" becomes
  `creme`, `brulee`, `torch`, `2000`.
- Indexing (when a product is created): every word of the title and of the brand, and each
  of its prefixes of length 2 up to `MAX_PREFIX` (10), is a *term*. One search item per
  (term, product) goes to the `search` table: partition key `term`, sort key the product's
  `title_key` (normalised title + product id), so the items of one term come back in title order.
- Querying: the query is normalised the same way; every query word must be a prefix of some
  word of the product's title or brand (AND, prefix match: "alp tent" finds "Alpine Dome Tent").
  We query the search table for ONE term, the longest query word cut to `MAX_PREFIX` (the
  longest prefix is the most selective term we can pick without keeping counts), read the
  matching products with BatchGetItem, and check every query word (and the browse filters) in
  memory against the product's real title and brand. A search never scans a table: its reads
  are bounded by the page size and a per-request read budget; the cursor resumes the term's
  query where it stopped.

Limits (on purpose, for a marketplace of modest size; an OpenSearch index is the next step)
------------------------------------------------------------------------------------------
- No fuzzy matching: a typo ("tnet") finds nothing; no stemming ("tents" does not find
  "tent", although "tent" finds "tents"), no synonyms. Words of one character are not
  indexed; they still constrain a query that has a longer word too.
- No relevance ranking: hits come in title order (the order of the term's index items).
- Only title and brand are indexed; description and attributes are not.
- Write amplification: a product writes one item per distinct term, about 5-9 per word (a
  long title is capped at `MAX_TERMS_PER_PRODUCT`). Products are written rarely, so this is
  cheap; renaming a product would have to delete and rewrite its terms (no rename exists yet).
- Hot terms: a short, common prefix ("ca") is one partition holding many items. Reads of it
  are paginated and budgeted, but a very hot term could throttle that partition; a query made
  only of such words reads many items for few hits (the read budget then returns a short page
  with a cursor to continue).
- A query whose words are all one character long matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_PREFIX = 2
MAX_PREFIX = 10
MAX_QUERY_WORDS = 8
MAX_QUERY_LENGTH = 100
MAX_TERMS_PER_PRODUCT = 400

_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The searchable words of a text, in order: lowercase, accent-free letters and digits."""
    return _WORD.findall(normalise(text or ""))


def prefixes(word: str) -> list[str]:
    """The index terms of one word: its prefixes from MIN_PREFIX to MAX_PREFIX characters."""
    return [word[:n] for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1)]


def index_terms(title: str, brand: str) -> list[str]:
    """Every term a product is found by, without duplicates, title words first."""
    seen: dict[str, None] = {}
    for word in words(title) + words(brand):
        for term in prefixes(word):
            if len(seen) >= MAX_TERMS_PER_PRODUCT:
                return list(seen)
            seen.setdefault(term, None)
    return list(seen)


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...]  # every word a hit must match (as a prefix of one of its words)
    lookup_term: str | None  # the one term read from the index; None: nothing can match

    @property
    def can_match(self) -> bool:
        return self.lookup_term is not None


def parse_query(q: str) -> SearchQuery:
    found = words(q[:MAX_QUERY_LENGTH])
    # A word that prefixes another query word adds no constraint ("te tent" == "tent").
    unique = [w for w in dict.fromkeys(found) if not any(o != w and o.startswith(w) for o in found)]
    kept = tuple(unique[:MAX_QUERY_WORDS])
    indexable = [w for w in kept if len(w) >= MIN_PREFIX]
    lookup = max(indexable, key=lambda w: (min(len(w), MAX_PREFIX), w), default=None)
    return SearchQuery(kept, lookup[:MAX_PREFIX] if lookup else None)


def matches(query: SearchQuery, title: str, brand: str) -> bool:
    """Does every query word prefix some word of the title or the brand?"""
    if not query.can_match:
        return False
    candidates = words(title) + words(brand)
    return all(any(c.startswith(w) for c in candidates) for w in query.words)
