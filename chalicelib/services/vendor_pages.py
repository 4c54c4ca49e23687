"""The public vendor page: a shop's public profile, return policy and anonymised ratings.

Only approved shops have one (a pending or suspended shop, like an unknown id, is a 404): the page is
linked from offers, and a shop whose offers are hidden has nothing to show. What may be shown is
decided in chalicelib/domain/vendor_pages.py; the shop's live offers are `GET /catalog/products?vendor=`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.domain import surveys as survey_rules
from chalicelib.domain.catalog import is_valid_id
from chalicelib.domain.errors import NotFound
from chalicelib.domain.return_analytics import last_weeks
from chalicelib.domain.vendor_pages import RATING_WEEKS, public_profile, public_ratings
from chalicelib.domain.vendors import Approval


def public_vendor(vendor_id: str, *, today: date | None = None) -> dict:
    from chalicelib.store import return_rules
    from chalicelib.store import surveys as surveys_store
    from chalicelib.store import vendors as vendors_store

    item = vendors_store.get_vendor(vendor_id) if is_valid_id(vendor_id) else None
    if item is None or item.approval_status != Approval.APPROVED:
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    rules = return_rules.get(vendor_id)
    period = last_weeks(today or datetime.now(UTC).date(), RATING_WEEKS)
    weekly = surveys_store.weekly(f"vendor#{vendor_id}", period)
    ratings = public_ratings(survey_rules.figures_of(weekly.values()).to_json())
    return public_profile(vendor_id, item.name, item.profile, window_days=rules.window_days,
                          restocking_percent=rules.restocking_percent, ratings=ratings)
