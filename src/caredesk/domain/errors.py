"""The error families every layer raises; the API maps each family to one HTTP status."""

from __future__ import annotations

from typing import Any


class CaredeskError(Exception):
    """Root of every error caredesk raises on purpose.

    `reason` is a short, user-facing sentence. `details` carries machine-readable context and
    must never hold document text or patient data.
    """

    code = "error"

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class InputRejected(CaredeskError):
    """The input is malformed, unsupported or over a limit."""

    code = "input_rejected"


class UnsupportedMediaType(InputRejected):
    """The uploaded bytes are not a format caredesk reads."""

    code = "unsupported_media_type"


class PayloadTooLarge(InputRejected):
    """The input is over a size limit."""

    code = "payload_too_large"


class NotFound(CaredeskError):
    """The object does not exist (or the caller may not know it exists)."""

    code = "not_found"


class Unauthenticated(CaredeskError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class Forbidden(CaredeskError):
    """The caller is known but may not do this."""

    code = "forbidden"


class Conflict(CaredeskError):
    """The request conflicts with the current state (stale version, wrong state)."""

    code = "conflict"


class UpstreamUnavailable(CaredeskError):
    """A service caredesk depends on (LLM server, vector server, broker) did not answer."""

    code = "upstream_unavailable"


class BudgetExceeded(CaredeskError):
    """A bounded run hit one of its limits (steps, LLM calls, tokens, wall time)."""

    code = "budget_exceeded"
