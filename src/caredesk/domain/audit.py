"""Audit events as values, and the canonical hashing that chains them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

GENESIS_HASH = "0" * 64

# Keys that must never appear in audit details: the log is for who/what/when, not content.
FORBIDDEN_DETAIL_KEYS = frozenset({"text", "document_text", "ocr_text", "content", "body", "words"})


class AuditRecord(BaseModel):
    """One event as it is hashed and exported."""

    model_config = ConfigDict(frozen=True)

    seq: int
    ts: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str = ""

    def compute_hash(self) -> str:
        return event_hash(self.model_dump(exclude={"hash"}))


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same bytes for the same value, everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(fields: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of an event's fields, which include the previous hash."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def check_details(details: dict[str, Any]) -> None:
    """Refuse details that would put document content into the log."""
    bad = FORBIDDEN_DETAIL_KEYS.intersection(details)
    if bad:
        raise ValueError(f"audit details may not carry content fields: {sorted(bad)}")
