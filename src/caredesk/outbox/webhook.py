"""POST one approved message to a webhook; any failure is UpstreamUnavailable (retried)."""

from __future__ import annotations

from typing import Any

import httpx

from caredesk.domain.errors import UpstreamUnavailable


def post_webhook(url: str, message: dict[str, Any], *, timeout_s: float = 10.0) -> None:
    """Deliver `message` as JSON. Called only by `caredesk.outbox.send.deliver` (see the
    structural test), which delivers only messages whose draft was approved and sent."""
    try:
        response = httpx.post(
            url,
            json=message,
            timeout=timeout_s,
            headers={"Idempotency-Key": str(message["message_id"])},
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"webhook did not answer ({type(exc).__name__})", url=url
        ) from None
    if response.status_code >= 300:
        raise UpstreamUnavailable(
            f"webhook answered HTTP {response.status_code}", url=url, status=response.status_code
        )
