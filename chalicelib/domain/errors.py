"""Errors the business rules raise; the HTTP layer maps each kind to one status code."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class Unprocessable(DomainError):
    code = "unprocessable"


class PreconditionFailed(DomainError):
    """The client's precondition (an `If-Match` version) no longer holds: re-read, then decide again."""

    code = "precondition_failed"
    status = 412
