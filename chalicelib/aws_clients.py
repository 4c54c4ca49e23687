"""AWS service clients built on botocore alone.

The app only makes plain client calls (no boto3 resources, no S3 transfer manager), and boto3 on
top of botocore costs every cold start that touches a queue or a mailbox its own imports
(s3transfer, concurrent.futures, multiprocessing...: `python -m scripts.bench cold_routes --why`).
botocore is loaded anyway: PynamoDB talks to DynamoDB through it. The clients behave as
`boto3.client(...)` would (credentials, AWS_ENDPOINT_URL and retries come from botocore itself).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()  # a botocore session is not safe to create clients from in parallel
_current = None  # the botocore session the clients come from, created on first use


def _session():
    global _current
    if _current is None:
        import botocore.session

        _current = botocore.session.get_session()
    return _current


def client(service: str, **kwargs):
    with _lock:
        return _session().create_client(service, **kwargs)


def renew_session() -> None:
    """Clients created from now on come from a new session: no credentials cached, the same service models.

    For an environment restored from a SnapStart snapshot (chalicelib/snapstart.py): credentials a session
    resolved before the snapshot belong to another environment and may have expired, while the service
    models and endpoint rules its loader read from disk (the slow part of a first client) are still right.
    """
    global _current
    with _lock:
        previous, _current = _current, None
        if previous is not None:
            import botocore.session

            _current = botocore.session.get_session()
            _current.register_component("data_loader", previous.get_component("data_loader"))
