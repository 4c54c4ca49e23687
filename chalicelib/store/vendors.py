"""DynamoDB storage of the vendors (table `vendors`, pk vendor_id): shops, profiles, approval, Connect state.

Every change is one conditional write, never read-then-write: the Connect state is written only
when the event is not older than the one it came from (`account_state_at` <= the event's `created`),
so duplicates and out-of-order webhooks change it once; an account id is set only when none is
(or the same) one is; approval moves only from the states the transition allows.

Indexes: `by_account` (stripe_account_id -> vendor; sparse) for the Connect webhooks that name only
the account, and `by_approval` (approval_status, created_at) for the admin's list filtered by status.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.domain.vendors import DEAUTHORIZED, AccountState, Approval, can_sell
from chalicelib.store.base import bind, conditional_failed, register, utc_now
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor


class ByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    stripe_account_id = UnicodeAttribute(hash_key=True)


class ByApproval(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_approval"
        projection = KeysOnlyProjection()

    approval_status = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@register
class VendorItem(Model):
    class Meta:
        short_name = "vendors"
        table_name = None
        region = None

    vendor_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # The vendor's Stripe Connect account (created when it starts onboarding); payouts go there once
    # its transfers capability is active (`payout_account`).
    stripe_account_id = UnicodeAttribute(null=True)
    profile = JSONAttribute(null=True)  # domain.vendors.VendorProfile.to_json()
    approval_status = UnicodeAttribute(null=True)  # domain.vendors.Approval; absent on records older than it
    approval_reason = UnicodeAttribute(null=True)  # why it was suspended
    approval_changed_at = UTCDateTimeAttribute(null=True)
    # The connected account as the newest Connect event said (`account_state_at`: that event's `created`).
    charges_enabled = BooleanAttribute(null=True)
    payouts_enabled = BooleanAttribute(null=True)
    transfers_status = UnicodeAttribute(null=True)
    card_payments_status = UnicodeAttribute(null=True)
    currently_due = ListAttribute(of=UnicodeAttribute, null=True)
    disabled_reason = UnicodeAttribute(null=True)
    details_submitted = BooleanAttribute(null=True)
    account_state_at = NumberAttribute(null=True)

    by_account = ByAccount()
    by_approval = ByApproval()

    def account_state(self) -> AccountState:
        return AccountState(
            account_id=self.stripe_account_id, charges_enabled=bool(self.charges_enabled),
            payouts_enabled=bool(self.payouts_enabled), transfers=self.transfers_status or "inactive",
            card_payments=self.card_payments_status or "inactive", currently_due=tuple(self.currently_due or ()),
            disabled_reason=self.disabled_reason, details_submitted=bool(self.details_submitted))

    @property
    def can_sell(self) -> bool:
        return can_sell(approval=self.approval_status, transfers=self.transfers_status,
                        disabled_reason=self.disabled_reason)


def get_vendor(vendor_id: str) -> VendorItem | None:
    """Strongly consistent: a vendor who just signed up can sell at once."""
    bind()
    try:
        return VendorItem.get(vendor_id, consistent_read=True)
    except VendorItem.DoesNotExist:
        return None


def get_vendors(vendor_ids: Iterable[str]) -> dict[str, VendorItem]:
    bind()
    ids = sorted(set(vendor_ids))
    return {v.vendor_id: v for v in VendorItem.batch_get(ids)} if ids else {}


def selling_condition():
    """`can_sell` as a DynamoDB condition on the vendor's item (for a transaction's ConditionCheck)."""
    return ((VendorItem.approval_status == Approval.APPROVED.value) & (VendorItem.transfers_status == "active")
            & (VendorItem.disabled_reason.does_not_exist() | (VendorItem.disabled_reason != DEAUTHORIZED)))


def selling_vendors(vendor_ids: Iterable[str]) -> set[str]:
    """The vendors among `vendor_ids` whose offers are live (domain.vendors.can_sell)."""
    return {vendor_id for vendor_id, item in get_vendors(vendor_ids).items() if item.can_sell}


def payout_account(vendor_id: str) -> str | None:
    """The connected account payouts go to: only once it can receive transfers.

    A record set by `set_vendor_payout_account` alone (no Connect state yet) is taken as ready.
    """
    vendor = get_vendor(vendor_id)
    if vendor is None or not vendor.stripe_account_id:
        return None
    if vendor.transfers_status not in (None, "active"):
        return None
    return vendor.stripe_account_id


def set_vendor_payout_account(vendor_id: str, account_id: str) -> None:
    """Record the connected account payouts go to (the vendor must exist)."""
    bind()
    VendorItem(vendor_id).update(
        actions=[VendorItem.stripe_account_id.set(account_id)], condition=VendorItem.vendor_id.exists()
    )


def link_account(vendor_id: str, account_id: str) -> bool:
    """Set the vendor's connected account unless it has another one; False when it has another."""
    bind()
    try:
        # A new account cannot receive transfers until Stripe says so (payouts wait: `payout_account`).
        VendorItem(vendor_id).update(
            actions=[VendorItem.stripe_account_id.set(account_id),
                     VendorItem.transfers_status.set(VendorItem.transfers_status | "inactive")],
            condition=VendorItem.vendor_id.exists() & (VendorItem.stripe_account_id.does_not_exist()
                                                       | (VendorItem.stripe_account_id == account_id)))
        return True
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise


def vendor_for_account(account_id: str) -> str | None:
    bind()
    for item in VendorItem.by_account.query(account_id, limit=1):
        return item.vendor_id
    return None


def record_account_state(vendor_id: str, state: AccountState, event_created: int) -> bool:
    """Store the account's state as of an event, unless a newer one (a later `created`) was stored already."""
    bind()
    actions = [
        VendorItem.charges_enabled.set(state.charges_enabled),
        VendorItem.payouts_enabled.set(state.payouts_enabled),
        VendorItem.transfers_status.set(state.transfers),
        VendorItem.card_payments_status.set(state.card_payments),
        VendorItem.currently_due.set(list(state.currently_due)),
        VendorItem.details_submitted.set(state.details_submitted),
        VendorItem.account_state_at.set(event_created),
        (VendorItem.disabled_reason.set(state.disabled_reason) if state.disabled_reason
         else VendorItem.disabled_reason.remove()),
    ]
    try:
        # `<=`: Stripe's `created` counts seconds, and two events of one second (account.updated then
        # capability.updated, or a deauthorization) must both apply; a repeat of the same event writes
        # the same state again, so it still changes the state once.
        VendorItem(vendor_id).update(actions=actions, condition=VendorItem.vendor_id.exists() & (
            VendorItem.account_state_at.does_not_exist() | (VendorItem.account_state_at <= event_created)))
        return True
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise


def save_profile(vendor_id: str, profile: dict) -> VendorItem:
    bind()
    item = VendorItem(vendor_id)
    item.update(actions=[VendorItem.profile.set(profile)], condition=VendorItem.vendor_id.exists())
    return get_vendor(vendor_id)


# Approval transitions: the target -> the states it may come from (a repeat of the target is a no-op).
ALLOWED_FROM = {
    Approval.APPROVED: (Approval.PENDING,),
    Approval.SUSPENDED: (Approval.APPROVED, Approval.PENDING),
    Approval.PENDING: (),
}


def set_approval(vendor_id: str, target: Approval, allowed_from: Iterable[Approval], reason: str | None = None) -> bool:
    """Move the vendor to `target` if it is in one of `allowed_from` (absent counts as pending).

    False when the condition failed (the caller re-reads and explains)."""
    bind()
    sources = list(allowed_from)
    condition = VendorItem.vendor_id.exists()
    allowed = None
    for source in sources:
        clause = VendorItem.approval_status == source.value
        if source is Approval.PENDING:
            clause = clause | VendorItem.approval_status.does_not_exist()
        allowed = clause if allowed is None else allowed | clause
    if allowed is not None:
        condition = condition & allowed
    actions = [VendorItem.approval_status.set(target.value), VendorItem.approval_changed_at.set(utc_now()),
               VendorItem.approval_reason.set(reason) if reason else VendorItem.approval_reason.remove()]
    try:
        VendorItem(vendor_id).update(actions=actions, condition=condition)
        return True
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise


def list_vendors(status: str | None, limit: int, cursor: str | None) -> tuple[list[VendorItem], str | None]:
    """A page of vendors: by approval status (index order), or of every status, newest first, without a Scan."""
    bind()
    if not status:
        return _all_statuses_newest_first(limit, cursor)
    path, key_names = f"vendors:{status}", ("vendor_id", "approval_status", "created_at")
    start = decode_cursor(cursor, path, key_names, {"approval_status": status})
    pages = VendorItem.by_approval.query(status, last_evaluated_key=start, page_size=limit + 1).page_iter
    keys, next_cursor = collect_page(pages, path, key_names, limit, lambda raws: [r["vendor_id"]["S"] for r in raws])
    found = get_vendors(keys)
    return [found[k] for k in keys if k in found], next_cursor


def _all_statuses_newest_first(limit: int, cursor: str | None) -> tuple[list[VendorItem], str | None]:
    """Every vendor, newest first: one `by_approval` query per status, merged on (created_at, vendor_id).

    Each query reads at most limit + 2 keys (the page, the key at the cursor itself, one more to know
    whether a next page exists), so a page costs 3 small queries and one BatchGetItem whatever the
    number of vendors; a Scan would read the whole table.

    Every vendor has an approval status (`put_vendor` writes `pending`); a record older than approvals
    (none in this codebase's data) would be in no status's index and is not listed.
    """
    from chalicelib.domain.vendors import Approval
    from chalicelib.store.cursors import encode

    path, key_names = "vendors", ("created_at", "vendor_id")
    after = decode_cursor(cursor, path, key_names)
    after_key = (after["created_at"]["S"], after["vendor_id"]["S"]) if after else None
    created = UTCDateTimeAttribute()
    older = None
    if after_key is not None:
        try:
            older = VendorItem.created_at <= created.deserialize(after_key[0])
        except ValueError:
            from chalicelib.store.cursors import invalid

            raise invalid("malformed") from None
    candidates: list[tuple[str, str]] = []
    for approval in Approval:
        for raw in VendorItem.by_approval.query(approval.value, older, scan_index_forward=False,
                                                limit=limit + 2, page_size=limit + 2):
            key = (created.serialize(raw.created_at), raw.vendor_id)
            if after_key is None or key < after_key:
                candidates.append(key)
    candidates.sort(reverse=True)
    page = candidates[:limit]
    next_cursor = encode(path, {"created_at": {"S": page[-1][0]}, "vendor_id": {"S": page[-1][1]}}) \
        if len(candidates) > limit else None
    found = get_vendors(vendor_id for _, vendor_id in page)
    return [found[k] for _, k in page if k in found], next_cursor


def put_vendor(vendor_id: str, name: str) -> tuple[VendorItem, bool]:
    """Create the vendor if it does not exist, else rename it if the name changed. Returns (item, created)."""
    bind()
    item = VendorItem(vendor_id, name=name, created_at=utc_now(), approval_status=Approval.PENDING.value)
    try:
        item.save(condition=VendorItem.vendor_id.does_not_exist())
        return item, True
    except PutError as err:
        if not conditional_failed(err):
            raise
    existing = VendorItem.get(vendor_id, consistent_read=True)
    if existing.name != name:
        existing.update(actions=[VendorItem.name.set(name)])
    return existing, False


def vendor_names(vendor_ids: Iterable[str]) -> dict[str, str]:
    return {vendor_id: item.name for vendor_id, item in get_vendors(vendor_ids).items()}
