"""Each vendor's return rules (chalicelib/domain/returns.py ReturnRules) in the `settings` table:
one item per vendor, `setting_id = "return-rules:<vendor_id>"`. Absent: the defaults (14-day
window, no restocking fee, nothing approved automatically)."""

from __future__ import annotations

from chalicelib.domain.returns import ReturnRules
from chalicelib.store.base import bind
from chalicelib.store.commission_rules import SettingModel


def _key(vendor_id: str) -> str:
    return f"return-rules:{vendor_id}"


def get(vendor_id: str) -> ReturnRules:
    bind()
    try:
        return ReturnRules.from_json(SettingModel.get(_key(vendor_id)).value)
    except SettingModel.DoesNotExist:
        return ReturnRules()


def put(vendor_id: str, rules: ReturnRules, *, at: str) -> None:
    """Last write wins: one vendor edits its own rules, and a request applies the rules it read."""
    bind()
    SettingModel(_key(vendor_id), value=rules.to_json(), version=1, updated_at=at, updated_by=vendor_id).save()
