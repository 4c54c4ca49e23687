"""Queue, mail and user-pool clients come from botocore alone: boto3 is not loaded on those cold starts.

(The cold-start figures of `python -m scripts.bench cold_routes` count every module a first request
loads; boto3 pulled in s3transfer, concurrent.futures and multiprocessing for nothing.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BUILD_CLIENTS = """
import json, sys
from chalicelib import events, mailer
from chalicelib.auth import cognito
from chalicelib.services import webhooks
clients = [events._sqs_for("eu-west-1", None), webhooks._sqs("eu-west-1", None),
           mailer._ses_for("eu-west-1", None), cognito._client_for("eu-west-1", None)]
print(json.dumps({"services": [c.meta.service_model.service_name for c in clients],
                  "regions": sorted({c.meta.region_name for c in clients}),
                  "boto3_loaded": "boto3" in sys.modules}))
"""


def test_the_app_s_queue_mail_and_user_pool_clients_do_not_load_boto3():
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_EC2_METADATA_DISABLED": "true"}
    proc = subprocess.run([sys.executable, "-c", BUILD_CLIENTS], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    built = json.loads(proc.stdout)
    assert built == {"services": ["sqs", "sqs", "ses", "cognito-idp"], "regions": ["eu-west-1"],
                     "boto3_loaded": False}
