"""Run the local payment provider on its own: `python -m devstack.localpay --port 12111 ...`.

The local stack embeds it (see LocalPaymentProvider); this is for poking at it by hand.
Prints the environment that points Halles at it, and keeps its state in --state-file.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from devstack.localpay import LocalPaymentProvider


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.localpay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", help="e.g. http://127.0.0.1:8000/webhooks/stripe")
    parser.add_argument("--webhook-secret", default="whsec_local_halles")
    parser.add_argument("--connect-webhook-url", help="e.g. http://127.0.0.1:8000/webhooks/stripe/connect")
    parser.add_argument("--connect-webhook-secret", default="whsec_local_halles_connect")
    parser.add_argument("--state-file", type=Path, help="JSON snapshot, loaded at start and written at exit")
    parser.add_argument("--processing-delay", type=float, default=3.0,
                        help="seconds a `processing` test payment waits before it settles")
    args = parser.parse_args()

    state = json.loads(args.state_file.read_text()) if args.state_file and args.state_file.exists() else None
    provider = LocalPaymentProvider(
        args.webhook_secret,
        args.webhook_url,
        connect_webhook_secret=args.connect_webhook_secret if args.connect_webhook_url else None,
        connect_deliver=args.connect_webhook_url,
        state=state,
        processing_delay=args.processing_delay,
    ).start(args.host, args.port)
    for key, value in provider.environment().items():
        print(f"{key}={value}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()
        if args.state_file:
            args.state_file.write_text(json.dumps(provider.to_json()))


if __name__ == "__main__":
    main()
