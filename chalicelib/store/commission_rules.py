"""The platform's commission rules (chalicelib/domain/commissions.py) in the `settings` table: one item,
`setting_id = "commissions"`, read at every checkout and written by the admin.

A write is conditional on the version read (`expected_version`): two admins editing at once do not
silently overwrite each other (the second gets a 409 and re-reads).
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.domain.commissions import CommissionRules
from chalicelib.domain.errors import Conflict
from chalicelib.store.base import bind, conditional_failed, register

COMMISSIONS = "commissions"


@register
class SettingModel(Model):
    class Meta:
        short_name = "settings"

    setting_id = UnicodeAttribute(hash_key=True)
    value = JSONAttribute()
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class DynamoCommissionRules:
    def __init__(self, default_bps: int):
        self.default_bps = default_bps  # HALLES_COMMISSION_BPS: the default until an admin saves rules

    def get(self) -> tuple[CommissionRules, int, str | None]:
        """(rules, version, updated_at); version 0 and the configured default before any save."""
        bind()
        try:
            item = SettingModel.get(COMMISSIONS)
        except SettingModel.DoesNotExist:
            return CommissionRules(default_bps=self.default_bps), 0, None
        return rules_from_value(item.value, self.default_bps), int(item.version or 0), item.updated_at

    def put(self, rules: CommissionRules, *, expected_version: int | None, at: str, by: str) -> int:
        """Save the rules; `expected_version` (None: whatever is stored) guards against a lost update."""
        bind()
        current = self.get()[1] if expected_version is None else expected_version
        condition = (SettingModel.setting_id.does_not_exist() if current == 0
                     else SettingModel.version == current)
        try:
            SettingModel(COMMISSIONS, value=rules.to_json(), version=current + 1, updated_at=at,
                         updated_by=by).save(condition=condition)
        except PutError as exc:
            if conditional_failed(exc):
                raise Conflict("The commission rules changed since you read them; reload and edit again.",
                               code="version_conflict", fields={"version": "stale"}) from exc
            raise
        return current + 1


def rules_from_value(value: dict | None, default_bps: int) -> CommissionRules:
    value = value or {}
    return CommissionRules(default_bps=int(value.get("default_bps", default_bps)),
                           categories={k: int(v) for k, v in (value.get("categories") or {}).items()},
                           vendors={k: int(v) for k, v in (value.get("vendors") or {}).items()})


def read_for_checkout(product_ids: list[str], *, with_rules: bool, default_bps: int
                      ) -> tuple[CommissionRules | None, dict[str, str]]:
    """The rules (when `with_rules`) and the products' categories in ONE BatchGetItem across the settings
    and products tables: checkout's only read for commissions (and none when both are cached)."""
    from chalicelib.store.products import ProductItem

    bind()
    client = SettingModel._get_connection().connection.client
    settings_table, products_table = SettingModel.Meta.table_name, ProductItem.Meta.table_name
    request: dict = {}
    if with_rules:
        request[settings_table] = {"Keys": [{"setting_id": {"S": COMMISSIONS}}], "ConsistentRead": False}
    ids = list(dict.fromkeys(product_ids))[:100 - len(request)]  # a BatchGetItem reads at most 100 keys
    if ids:
        request[products_table] = {"Keys": [{"product_id": {"S": pid}} for pid in ids],
                                   "ProjectionExpression": "product_id, category"}
    rules: CommissionRules | None = CommissionRules(default_bps=default_bps) if with_rules else None
    categories: dict[str, str] = {}
    for _ in range(5):  # unprocessed keys (throttling) are asked again
        if not request:
            break
        answer = client.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(settings_table, []):
            rules = rules_from_value(SettingModel.from_raw_data(item).value, default_bps)
        for item in answer.get("Responses", {}).get(products_table, []):
            if "category" in item:
                categories[item["product_id"]["S"]] = item["category"]["S"]
        request = answer.get("UnprocessedKeys") or {}
    return rules, categories
