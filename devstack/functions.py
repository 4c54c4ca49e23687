"""The app's non-HTTP functions, as Lambda would see them.

`chalice local` only serves HTTP. In AWS, each `@bp.on_sqs_message`, `@bp.schedule` and
`@bp.lambda_function` becomes its own Lambda function, invoked with `(event, context)`.
The local stack discovers the same functions from the Chalice app object and calls the
very callables Lambda would call (`app.handler_map[name]`), so middleware, event classes
and return values behave as deployed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice.app import LambdaFunction, ScheduledEventConfig, ScheduleExpression, SQSEventConfig
from chalice.local import LambdaContext

log = logging.getLogger("devstack")

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class LocalFunction:
    name: str
    kind: str  # "sqs" | "schedule" | "lambda"
    handler: Callable[[dict, Any], Any]
    queue: str | None = None
    queue_arn: str | None = None
    batch_size: int = 1
    schedule: str | None = None  # the AWS expression, e.g. "rate(5 minutes)"

    def describe(self) -> dict:
        detail = {"sqs": self.queue or self.queue_arn, "schedule": self.schedule, "lambda": "direct invoke"}[self.kind]
        return {"name": self.name, "kind": self.kind, "source": detail}


def expression_string(expression: str | ScheduleExpression) -> str:
    return expression.to_string() if isinstance(expression, ScheduleExpression) else str(expression)


def discover(chalice_app) -> dict[str, LocalFunction]:
    """Every function of the app the local stack can run, by Chalice function name."""
    found: dict[str, LocalFunction] = {}
    for source in chalice_app.event_sources:
        handler = chalice_app.handler_map.get(source.name)
        if handler is None:
            continue
        if isinstance(source, SQSEventConfig):
            found[source.name] = LocalFunction(
                source.name, "sqs", handler, queue=source.queue, queue_arn=source.queue_arn,
                batch_size=max(1, min(int(source.batch_size or 1), 10)),
            )
        elif isinstance(source, ScheduledEventConfig):
            found[source.name] = LocalFunction(
                source.name, "schedule", handler, schedule=expression_string(source.schedule_expression)
            )
        else:
            log.warning("%s (%s) is not run by the local stack; fire it with `devstack fire %s`",
                        source.name, type(source).__name__, source.name)
            found[source.name] = LocalFunction(source.name, "lambda", handler)
    for function in chalice_app.pure_lambda_functions:
        if isinstance(function, LambdaFunction) and function.name in chalice_app.handler_map:
            found[function.name] = LocalFunction(function.name, "lambda", chalice_app.handler_map[function.name])
    return found


def lambda_context(app_name: str, stage: str, function_name: str, region: str,
                   timeout_seconds: int = 60, memory_mb: int = 512) -> LambdaContext:
    """A context object with the attributes Powertools and Lambda code read."""
    deployed_name = f"{app_name}-{stage}-{function_name}"
    context = LambdaContext(deployed_name, memory_mb, max_runtime_ms=timeout_seconds * 1000)
    context.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{deployed_name}"
    context.log_group_name = f"/aws/lambda/{deployed_name}"
    context.log_stream_name = "devstack"
    return context
