"""Powertools Logger and Metrics shared by every handler.

Metrics are imported lazily: the EMF module is only needed when a metric is recorded.
"""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools import Logger

logger = Logger(service="halles")
NAMESPACE = "Halles"


@lru_cache(maxsize=1)
def metrics():
    from aws_lambda_powertools.metrics import Metrics

    return Metrics(namespace=NAMESPACE, service="halles")


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Record a count metric; flushed (as one EMF log line) at the end of the invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    m = metrics()
    for key, val in dimensions.items():
        m.add_dimension(name=key, value=val)
    m.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    if metrics.cache_info().currsize:
        metrics().flush_metrics(raise_on_empty_metrics=False)
