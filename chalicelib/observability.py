"""Powertools Logger and Metrics shared by every handler.

Metrics are imported lazily: the EMF module is only needed when a metric is recorded.
"""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools import Logger

logger = Logger(service="halles")
NAMESPACE = "Halles"
_pending = False  # metrics added since the last flush


@lru_cache(maxsize=1)
def metrics():
    from aws_lambda_powertools.metrics import Metrics

    return Metrics(namespace=NAMESPACE, service="halles")


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Record a count metric.

    Without dimensions it joins the invocation's metric set (flushed as one EMF line at the end).
    With dimensions it is emitted on its own line at once: dimensions on the shared set would
    apply to every metric of the invocation, and a second value would overwrite the first.
    """
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    if not dimensions:
        global _pending
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
        _pending = True
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
        for key, val in dimensions.items():
            metric.add_dimension(name=key, value=str(val))


def flush_metrics() -> None:
    global _pending
    if _pending:
        _pending = False
        metrics().flush_metrics(raise_on_empty_metrics=False)
