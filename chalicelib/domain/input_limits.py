"""Bounds that the HTTP contract states (request models' `max_length`, `maximum`...) and the business
rules enforce: their one home, as plain numbers.

`import app` builds every route's request model, so each handler module imports the bounds it
states at init. Taking them from the rule modules (messages, surveys, promotions, vendor_ledger,
return_analytics, imports) loaded every one of those modules, with their dataclasses, into every cold
start of every function, whatever its first request (~30 ms: `python -m scripts.bench cold_start --why`).
The rule modules import their bounds from here; chalicelib/domain/limits.py holds the cart's.
"""

from __future__ import annotations

MESSAGE_MAX_TEXT = 4000  # characters of one message in a case thread (chalicelib/domain/messages.py)
SURVEY_MAX_COMMENT = 2000  # characters of a survey's free comment (chalicelib/domain/surveys.py)
ANALYTICS_MAX_WEEKS = 104  # weeks a return-analytics report spans at most (chalicelib/domain/return_analytics.py)
IMPORT_MAX_FILE_BYTES = 5 * 1024 * 1024  # one offers CSV import (chalicelib/domain/imports.py)
# A promotion's percentage off and the offers it may name (chalicelib/domain/promotions.py).
PROMOTION_MIN_PERCENT, PROMOTION_MAX_PERCENT = 1, 90
PROMOTION_MAX_TARGETED_OFFERS = 100
# An admin's adjustment of a vendor's balance (chalicelib/domain/vendor_ledger.py): minor units either way (a
# larger correction is not a typo-safe form entry) and the length of its reason.
ADJUSTMENT_MAX = 100_000_00
ADJUSTMENT_REASON_MIN, ADJUSTMENT_REASON_MAX = 3, 500
