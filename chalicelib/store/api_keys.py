"""DynamoDB storage of vendor API keys (table `api-keys`) and their counters (table `api-key-counters`).

`api-keys`, pk `key_id`, index `by_vendor` (vendor_id, created_at): one item per key, holding
only keyed hashes of its secrets (see chalicelib.domain.api_keys). A revoked key stays, marked
`revoked`, so the vendor's list keeps its history and its id is never reused.

`api-key-counters`, pk `counter_id`, TTL `expires_at`: plain counters, two kinds:
- `active#<vendor_id>`: how many unrevoked keys a vendor has; moved in the same transaction as
  the key it counts, under a condition, so the cap holds under concurrent creations;
- `window#<key_id>#<epoch start>`: the requests of one key in one rate-limit window, incremented
  under `count < limit` (one conditional write per request; expired by TTL after the window).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.store.base import bind, conditional_failed, register

WINDOW_RETENTION = timedelta(minutes=10)  # a window's counter is useless once it closed; TTL tidies it


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@register
class ApiKeyItem(Model):
    class Meta:
        short_name = "api-keys"
        table_name = None
        region = None

    key_id = UnicodeAttribute(hash_key=True)
    vendor_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scope = UnicodeAttribute()  # read | write
    environment = UnicodeAttribute()  # live | test: part of the key's text
    status = UnicodeAttribute()  # active | revoked
    secret_hash = UnicodeAttribute(null=True)  # removed on revocation
    # After a rotation with a grace period, the replaced secret keeps working until then.
    previous_secret_hash = UnicodeAttribute(null=True)
    previous_valid_until = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    rotated_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    last_used_at = UTCDateTimeAttribute(null=True)
    by_vendor = ByVendor()


@register
class ApiKeyCounterItem(Model):
    class Meta:
        short_name = "api-key-counters"
        table_name = None
        region = None

    counter_id = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


def active_counter_id(vendor_id: str) -> str:
    return f"active#{vendor_id}"


def window_counter_id(key_id: str, window_start: int) -> str:
    return f"window#{key_id}#{window_start}"


def _counters_connection():
    return ApiKeyItem._get_connection().connection


CREATED = "created"
ID_TAKEN = "id_taken"
AT_CAP = "at_cap"


def create_key(item: ApiKeyItem, *, max_active: int) -> str:
    """Put a new key and count it, in one transaction: CREATED, ID_TAKEN, or AT_CAP (`max_active` reached)."""
    bind()
    counter = ApiKeyCounterItem(active_counter_id(item.vendor_id))
    C = ApiKeyCounterItem
    try:
        with TransactWrite(connection=_counters_connection()) as tx:
            tx.save(item, condition=ApiKeyItem.key_id.does_not_exist())
            tx.update(counter, actions=[C.count.add(1)],
                      condition=C.count.does_not_exist() | (C.count < max_active))
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or []) + [None, None]
        if reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return ID_TAKEN
        if reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            return AT_CAP
        raise
    return CREATED


def get_key(key_id: str) -> ApiKeyItem | None:
    """Strongly consistent: a key revoked a moment ago must already be refused."""
    bind()
    try:
        return ApiKeyItem.get(key_id, consistent_read=True)
    except ApiKeyItem.DoesNotExist:
        return None


LISTED_KEYS = 100


def vendor_keys(vendor_id: str, limit: int = LISTED_KEYS) -> list[ApiKeyItem]:
    """A vendor's newest keys first: the active ones (at most 10) and the latest revoked ones.

    Bounded: revoked keys stay for the record, and a vendor may revoke and create without end.
    """
    bind()
    return list(ApiKeyItem.by_vendor.query(vendor_id, scan_index_forward=False, limit=limit))


def rotate_key(key_id: str, vendor_id: str, *, new_hash: str, previous_hash: str | None,
               previous_valid_until: datetime | None, now: datetime) -> ApiKeyItem | None:
    """Replace the secret of an active key of this vendor; None when there is no such key.

    Conditional on the hash read, so two rotations at once cannot both think they replaced it.
    """
    bind()
    K = ApiKeyItem
    actions = [K.secret_hash.set(new_hash), K.rotated_at.set(now)]
    if previous_hash and previous_valid_until:
        actions += [K.previous_secret_hash.set(previous_hash), K.previous_valid_until.set(previous_valid_until)]
    else:
        actions += [K.previous_secret_hash.remove(), K.previous_valid_until.remove()]
    condition = (K.key_id.exists() & (K.vendor_id == vendor_id) & (K.status == "active"))
    if previous_hash:
        condition &= K.secret_hash == previous_hash
    item = ApiKeyItem(key_id)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def revoke_key(key_id: str, vendor_id: str, now: datetime) -> bool:
    """Revoke an active key of this vendor and uncount it, in one transaction; False if none was active."""
    bind()
    K, C = ApiKeyItem, ApiKeyCounterItem
    try:
        with TransactWrite(connection=_counters_connection()) as tx:
            tx.update(ApiKeyItem(key_id),
                      actions=[K.status.set("revoked"), K.revoked_at.set(now), K.secret_hash.remove(),
                               K.previous_secret_hash.remove(), K.previous_valid_until.remove()],
                      condition=K.key_id.exists() & (K.vendor_id == vendor_id) & (K.status == "active"))
            tx.update(ApiKeyCounterItem(active_counter_id(vendor_id)), actions=[C.count.add(-1)],
                      condition=C.count > 0)
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or []) + [None]
        if reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return False
        raise
    return True


def record_use(key_id: str, now: datetime, not_since: datetime) -> bool:
    """Set `last_used_at = now` unless a use at or after `not_since` is already recorded.

    The condition makes concurrent requests write it once, whatever they each read.
    """
    bind()
    K = ApiKeyItem
    try:
        ApiKeyItem(key_id).update(
            actions=[K.last_used_at.set(now)],
            condition=K.key_id.exists() & (K.last_used_at.does_not_exist() | (K.last_used_at < not_since)))
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise
    return True


def count_request(key_id: str, window_start: int, window_end: int, limit: int) -> bool:
    """Count one request of a key in a window; False (nothing written) once `limit` were counted."""
    bind()
    C = ApiKeyCounterItem
    counter = ApiKeyCounterItem(window_counter_id(key_id, window_start))
    try:
        counter.update(
            actions=[C.count.add(1), C.expires_at.set(datetime.fromtimestamp(window_end, UTC) + WINDOW_RETENTION)],
            condition=C.count.does_not_exist() | (C.count < limit))
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise
    return True
