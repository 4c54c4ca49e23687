"""Make moto's DynamoDB safe under concurrent requests, as the local stack's API server makes them.

moto's `TransactWriteItems` is not isolated: it deep-copies every table the transaction touches,
applies the items one by one, and when any condition fails it puts the *copies* back. Under
concurrent requests (the threaded API server, the SQS pumps) that restore silently discards
whatever other requests wrote to those tables meanwhile: a checkout that answered 201 loses its
order and its stock reservation because another shopper's checkout failed at the same moment
(seen as a 404 "No such order." and reservations that vanish under a 50-checkout rush).
Real DynamoDB serialises conflicting transactions (TransactionConflict) and never loses a write.

The local stack therefore handles one DynamoDB request at a time. moto answers each in
milliseconds, so this costs little, and every transaction, condition and rollback is then
atomic with respect to every other request, which is what the application relies on.
"""

from __future__ import annotations

import threading
from functools import wraps

_LOCK = threading.Lock()
_MARK = "_halles_serialized"


def serialize_dynamodb() -> None:
    """Route every DynamoDB request moto serves in this process through one lock (idempotent)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, _MARK, False):
        return

    @wraps(original)
    def call_action(self):
        with _LOCK:
            return original(self)

    setattr(call_action, _MARK, True)
    DynamoHandler.call_action = call_action
