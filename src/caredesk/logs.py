"""Structured logging (structlog): JSON lines to stderr and the data directory, PHI-free."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from caredesk.settings import Settings

# Keys whose values could carry document text or patient data: logged as a redaction marker.
REDACTED_KEYS = frozenset(
    {
        "text",
        "content",
        "body",
        "document_text",
        "ocr_text",
        "quote",
        "question",
        "answer",
        "patient_name",
        "date_of_birth",
        "dob",
        "member_id",
        "password",
        "token",
        "prompt",
        "messages",
        "clinical_reason",
        "address",
        "phone",
    }
)


def redact_phi(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Last line of defence: even if a caller logs a sensitive key, its value never lands."""
    for key in REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


def configure_logging(settings: Settings) -> None:
    """Route stdlib and structlog output through one JSON (or console) renderer."""
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_phi,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_caredesk", False):
            root.removeHandler(handler)
    for handler in _handlers(settings):
        handler.setFormatter(formatter)
        handler._caredesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "chromadb", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _handlers(settings: Settings) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    handlers.append(
        logging.handlers.RotatingFileHandler(
            settings.log_dir / "caredesk.log", maxBytes=20 * 1024 * 1024, backupCount=5
        )
    )
    return handlers
