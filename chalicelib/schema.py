"""The base of every boundary model (HTTP bodies and answers, queue messages, webhook payloads)."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class ApiModel(BaseModel):
    """A pydantic model whose validator is built on first use instead of at import.

    Building the validators of every route model when `app` is imported was the largest part of
    the cold start above the floor; a Lambda container only ever uses a few of them.
    """

    model_config = ConfigDict(defer_build=True)


def _country_code(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValueError("a two-letter country code")
    return value


# An ISO 3166-1 alpha-2 country code, accepted in any case ("de" -> "DE").
CountryCode = Annotated[str, AfterValidator(_country_code)]
