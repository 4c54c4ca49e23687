"""Keeps the local marketplace's data across restarts of the (in-memory) moto server.

What is kept, in `<data-dir>/snapshot.json`:
- every item of every DynamoDB table of the stack, in DynamoDB JSON (scan / batch write);
- the Cognito users: sub, username, password, status, attributes and groups, plus the
  pool's refresh tokens. moto's Cognito API cannot create a user with a given `sub`, so
  the users are written straight into moto's in-process backend objects. Keeping the subs
  keeps every `user_id` / `vendor_id` stored in the tables valid;
- the messages still in the stack's SQS queues (visible, in flight or delayed, dead-letter queues
  included): body, message attributes, FIFO group/deduplication ids. On stop the runner first
  drains the queues through the pumps (bounded time), so what is saved is what could not be
  processed; restored messages are new messages (new ids, receive count 0). Consumers are
  idempotent, so a message replayed from a periodic snapshot after a crash changes nothing twice;
- the objects of the stack's S3 buckets (vendors' product images), base64, with their content type;
  the demo seed's drawings (`.../seed-*`) are left out: the seed writes them on every start.

The file is written atomically (temporary file + rename) and only when the data changed.
A snapshot is not a transaction: tables are scanned one after another while requests may
still run, which is fine for a development stack.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack")
activity = logging.getLogger("devstack.activity")  # requests.log (devstack/console.py)

FORMAT_VERSION = 1
BATCH_WRITE_LIMIT = 25


# ---- DynamoDB ---------------------------------------------------------------------------

def _encode_value(value: dict) -> dict:
    """Binary attribute values are bytes in boto3; JSON keeps them as base64 text."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in inner]}
    if kind == "M":
        return {"M": {k: _encode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode_value(v) for v in inner]}
    return value


def _decode_value(value: dict) -> dict:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _decode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_value(v) for v in inner]}
    return value


def dump_tables(dynamodb, tables: dict[str, str]) -> dict[str, list[dict]]:
    """logical id -> items (DynamoDB JSON), for each table in `tables` (logical id -> name)."""
    dumped: dict[str, list[dict]] = {}
    for logical, name in sorted(tables.items()):
        items: list[dict] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
            items.extend({k: _encode_value(v) for k, v in item.items()} for item in page.get("Items", []))
        dumped[logical] = items
    return dumped


def load_tables(dynamodb, tables: dict[str, str], dumped: dict[str, list[dict]]) -> int:
    restored = 0
    for logical, items in dumped.items():
        name = tables.get(logical)
        if name is None:
            log.warning("the snapshot has items for %s, which the template no longer defines: skipped", logical)
            continue
        for start in range(0, len(items), BATCH_WRITE_LIMIT):
            requests = [{"PutRequest": {"Item": {k: _decode_value(v) for k, v in item.items()}}}
                        for item in items[start:start + BATCH_WRITE_LIMIT]]
            pending = {name: requests}
            for _ in range(10):
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise RuntimeError(f"could not restore every item of {name}")
        restored += len(items)
    return restored


# ---- Cognito (moto's in-process backend) --------------------------------------------------

def _user_pool(pool_id: str, region: str):
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    return cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools[pool_id]


def dump_users(pool_id: str, region: str) -> dict:
    pool = _user_pool(pool_id, region)
    users = []
    for user in list(pool.users.values()):
        users.append({
            "sub": user.id,
            "username": user.username,
            "password": user.password,
            "status": str(getattr(user.status, "value", user.status)),
            "enabled": bool(user.enabled),
            "attributes": [dict(a) for a in user.attributes],
            "groups": sorted(g.group_name for g in user.groups),
            "created": user.create_date.isoformat() if hasattr(user.create_date, "isoformat") else None,
        })
    refresh_tokens = {token: list(value) for token, value in list(pool.refresh_tokens.items()) if value}
    return {"client_ids": list(pool.clients), "users": users, "refresh_tokens": refresh_tokens}


def load_users(pool_id: str, region: str, dumped: dict) -> int:
    from moto.cognitoidp.models import CognitoIdpUser, UserStatus

    pool = _user_pool(pool_id, region)
    for saved in dumped.get("users", []):
        status = UserStatus(saved["status"]) if saved["status"] in UserStatus.__members__ else saved["status"]
        user = CognitoIdpUser(pool.id, saved["username"], saved["password"], status, saved["attributes"])
        user.id = saved["sub"]  # the point of it all: user ids survive the restart
        user.update_attributes([{"Name": "sub", "Value": saved["sub"]}])
        user.enabled = saved.get("enabled", True)
        if saved.get("created"):
            user.create_date = datetime.fromisoformat(saved["created"])
        pool.users[user.username] = user
        for group_name in saved.get("groups", []):
            group = pool.groups.get(group_name)
            if group is None:
                log.warning("user %s was in group %s, which no longer exists", user.id, group_name)
                continue
            group.users.add(user)
            user.groups.add(group)
    # Refresh tokens stay valid too; a token of a client that no longer exists moves to the
    # current client (the template defines one).
    current_clients = list(pool.clients)
    for token, (client_id, username, origin_jti) in dumped.get("refresh_tokens", {}).items():
        if client_id not in pool.clients and len(current_clients) == 1:
            client_id = current_clients[0]
        if username in pool.users:
            pool.refresh_tokens[token] = (client_id, username, origin_jti)
    return len(dumped.get("users", []))


# ---- SQS (moto's in-process backend) --------------------------------------------------------

SEND_BATCH_LIMIT = 10


def _encode_attributes(attributes: dict) -> dict:
    encoded = {}
    for name, value in (attributes or {}).items():
        item = {"DataType": value.get("DataType", "String")}
        if "StringValue" in value:
            item["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            item["BinaryValue"] = base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode()
        encoded[name] = item
    return encoded


def _decode_attributes(attributes: dict) -> dict:
    return {name: ({**value, "BinaryValue": base64.b64decode(value["BinaryValue"])} if "BinaryValue" in value
                   else value) for name, value in (attributes or {}).items()}


def dump_queues(queues: dict[str, str], region: str) -> dict[str, list[dict]]:
    """logical id -> every message still in that queue (logical id -> queue URL), oldest first.

    Read from moto's backend objects: the SQS API cannot list in-flight messages without
    receiving them (and so changing their receive counts).
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[DEFAULT_ACCOUNT_ID][region]
    dumped: dict[str, list[dict]] = {}
    for logical, url in sorted(queues.items()):
        queue = backend.queues.get(url.rstrip("/").rsplit("/", 1)[-1])
        if queue is None:
            continue
        messages = []
        for message in list(queue._messages):  # noqa: SLF001 - moto keeps no public accessor
            saved = {"body": message.body, "attributes": _encode_attributes(message.message_attributes)}
            if message.group_id:
                saved["group_id"] = message.group_id
            if message.deduplication_id:
                saved["deduplication_id"] = message.deduplication_id
            messages.append(saved)
        if messages:
            dumped[logical] = messages
    return dumped


def load_queues(sqs, queues: dict[str, str], dumped: dict[str, list[dict]]) -> int:
    """Send the saved messages again into the new deployment's queues; returns how many."""
    restored = 0
    for logical, messages in dumped.items():
        url = queues.get(logical)
        if url is None:
            log.warning("the snapshot has %d message(s) for %s, which the template no longer defines: dropped",
                        len(messages), logical)
            continue
        for start in range(0, len(messages), SEND_BATCH_LIMIT):
            entries = []
            for index, saved in enumerate(messages[start:start + SEND_BATCH_LIMIT]):
                entry = {"Id": str(index), "MessageBody": saved["body"]}
                if saved.get("attributes"):
                    entry["MessageAttributes"] = _decode_attributes(saved["attributes"])
                if saved.get("group_id"):
                    entry["MessageGroupId"] = saved["group_id"]
                if saved.get("deduplication_id"):
                    entry["MessageDeduplicationId"] = saved["deduplication_id"]
                entries.append(entry)
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
            if failed:
                raise RuntimeError(f"could not restore {len(failed)} message(s) into {logical}: {failed[0]}")
            restored += len(entries)
    return restored


# ---- S3 -------------------------------------------------------------------------------------

def dump_buckets(s3, buckets: dict[str, str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for logical, bucket in buckets.items():
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                if "/seed-" in entry["Key"]:
                    continue
                got = s3.get_object(Bucket=bucket, Key=entry["Key"])
                objects.append({"key": entry["Key"], "content_type": got.get("ContentType", ""),
                                "body": base64.b64encode(got["Body"].read()).decode()})
        out[logical] = sorted(objects, key=lambda o: o["key"])
    return out


def load_buckets(s3, buckets: dict[str, str], dumped: dict[str, list[dict]]) -> int:
    count = 0
    for logical, objects in dumped.items():
        if logical not in buckets:
            continue
        for obj in objects:
            s3.put_object(Bucket=buckets[logical], Key=obj["key"], Body=base64.b64decode(obj["body"]),
                          ContentType=obj["content_type"] or "application/octet-stream")
            count += 1
    return count


def stack_buckets(template: dict, physical: dict[str, str]) -> dict[str, str]:
    """logical id -> bucket name for every S3 bucket of the template."""
    return {logical: physical[logical] for logical, res in template["Resources"].items()
            if res["Type"] == "AWS::S3::Bucket" and logical in physical}


def stack_queues(template: dict, physical: dict[str, str]) -> dict[str, str]:
    """logical id -> queue URL for every SQS queue of the template (dead-letter queues included)."""
    return {logical: physical[logical] for logical, res in template["Resources"].items()
            if res["Type"] == "AWS::SQS::Queue" and logical in physical}


# ---- the snapshot as a whole ----------------------------------------------------------------

@dataclass
class RestoreSummary:
    items: int = 0
    users: int = 0
    messages: int = 0
    objects: int = 0
    taken_at: str | None = None


class Snapshotter:
    """Takes and restores snapshots of one deployed stack; writes the file atomically."""

    def __init__(self, path: Path, session, tables: dict[str, str], user_pool_id: str, region: str,
                 extra_sections: dict[str, Callable[[], Any]] | None = None, queues: dict[str, str] | None = None,
                 buckets: dict[str, str] | None = None):
        self.path = path
        self.buckets = dict(buckets or {})  # logical id -> bucket name
        self.queues = dict(queues or {})  # logical id -> URL
        self.session = session
        self.tables = tables
        self.user_pool_id = user_pool_id
        self.region = region
        # Other in-process services keep their state in the same file (e.g. "localpay").
        self.extra_sections = dict(extra_sections or {})
        self._last_digest: str | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def take(self) -> dict:
        data = {
            "dynamodb": dump_tables(self.session.client("dynamodb"), self.tables),
            "cognito": dump_users(self.user_pool_id, self.region),
        }
        if self.queues:
            data["sqs"] = dump_queues(self.queues, self.region)
        if self.buckets:
            data["s3"] = dump_buckets(self.session.client("s3"), self.buckets)
        for name, dump in self.extra_sections.items():
            data[name] = dump()
        return data

    def save(self) -> bool:
        """Write the snapshot if the data changed since the last write; True when written."""
        with self._lock:
            data = self.take()
            body = json.dumps(data, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(body.encode()).hexdigest()
            if digest == self._last_digest:
                return False
            document = {"version": FORMAT_VERSION, "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        **data}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".snapshot-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w") as out:
                    json.dump(document, out, separators=(",", ":"))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._last_digest = digest
            return True

    def restore(self, document: dict) -> RestoreSummary:
        """Load a snapshot document (see `read_document`) into the freshly deployed stack."""
        summary = RestoreSummary(taken_at=document.get("taken_at"))
        summary.users = load_users(self.user_pool_id, self.region, document.get("cognito", {}))
        summary.items = load_tables(self.session.client("dynamodb"), self.tables, document.get("dynamodb", {}))
        if self.queues:
            summary.messages = load_queues(self.session.client("sqs"), self.queues, document.get("sqs", {}))
        if self.buckets:
            summary.objects = load_buckets(self.session.client("s3"), self.buckets, document.get("s3", {}))
        return summary

    def start_periodic(self, stop: threading.Event, every_seconds: float = 30.0) -> None:
        """Save now (in the background), then every `every_seconds` when something changed.

        A snapshot scans every table in the stack's own process, which slows every request meanwhile:
        once one takes long (tens of thousands of items after a big import), the next waits
        `periodic_wait` (at least STALL_FACTOR times as long), so the stack spends at most about a tenth
        of its time snapshotting. The snapshot on stop is always taken."""
        def run() -> None:
            wait = 0.0
            while not stop.wait(wait):
                started = time.monotonic()
                try:
                    if self.save():
                        activity.info("snapshot saved to %s", self.path)
                except Exception:
                    if not stop.is_set():
                        log.exception("periodic snapshot failed; the next one will retry")
                wait = periodic_wait(every_seconds, time.monotonic() - started)

        self._thread = threading.Thread(target=run, name="snapshot", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


STALL_FACTOR = 9.0


def periodic_wait(every_seconds: float, last_took: float) -> float:
    """Seconds until the next periodic snapshot: `every_seconds`, or STALL_FACTOR times what the last one
    took when that is longer (a 60 s snapshot is followed by 9 minutes without one)."""
    return max(every_seconds, STALL_FACTOR * last_took)


def read_document(path: Path) -> dict | None:
    """The snapshot file's content; None when there is none."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        raise RuntimeError(f"{path} is not valid JSON ({exc}); start with --fresh to discard it") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        version = document.get("version") if isinstance(document, dict) else None
        raise RuntimeError(f"{path} has format version {version}, expected {FORMAT_VERSION}; "
                           f"start with --fresh to discard it")
    return document


def stack_tables(template: dict, physical: dict[str, str]) -> dict[str, str]:
    """logical id -> table name for every DynamoDB table of the template."""
    return {logical: physical[logical] for logical, res in template["Resources"].items()
            if res["Type"] == "AWS::DynamoDB::Table" and logical in physical}

