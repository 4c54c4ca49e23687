"""The base of every boundary model (HTTP bodies and answers, queue messages, webhook payloads)."""

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """A pydantic model whose validator is built on first use instead of at import.

    Building the validators of every route model when `app` is imported was the largest part of
    the cold start above the floor; a Lambda container only ever uses a few of them.
    """

    model_config = ConfigDict(defer_build=True)
