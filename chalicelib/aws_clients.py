"""AWS service clients built on botocore alone.

The app only makes plain client calls (no boto3 resources, no S3 transfer manager), and boto3 on
top of botocore costs every cold start that touches a queue or a mailbox its own imports
(s3transfer, concurrent.futures, multiprocessing...: `python -m scripts.bench cold_routes --why`).
botocore is loaded anyway: PynamoDB talks to DynamoDB through it. The clients behave as
`boto3.client(...)` would (credentials, AWS_ENDPOINT_URL and retries come from botocore itself).
"""

from __future__ import annotations

import threading
from functools import lru_cache

_lock = threading.Lock()  # a botocore session is not safe to create clients from in parallel


@lru_cache(maxsize=1)
def _session():
    import botocore.session

    return botocore.session.get_session()


def client(service: str, **kwargs):
    with _lock:
        return _session().create_client(service, **kwargs)
