"""Structured output: a `json_schema` response format from a pydantic model, and its parsing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from caredesk.llm.port import ChatMessage

T = TypeVar("T", bound=BaseModel)

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# Small models sometimes fence JSON even under a schema; the fence is not part of the answer.
_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL)
_MAX_ERRORS_FED_BACK = 5


def json_schema_format(model: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` asking a server for JSON that fits `model`.

    `strict` is claimed only when the schema meets strict mode's rules (every property
    required, no extra properties); otherwise OpenAI would refuse the whole request.
    """
    schema = model.model_json_schema()
    return {
        "type": "json_schema",
        "json_schema": {
            "name": _NAME_UNSAFE.sub("_", model.__name__)[:64],
            "schema": schema,
            "strict": _is_strict_compatible(schema),
        },
    }


def _is_strict_compatible(node: Any) -> bool:
    if isinstance(node, list):
        return all(_is_strict_compatible(item) for item in node)
    if not isinstance(node, dict):
        return True
    properties = node.get("properties")
    if isinstance(properties, dict):
        if node.get("additionalProperties") is not False:
            return False
        if set(node.get("required", [])) != set(properties):
            return False
    return all(_is_strict_compatible(value) for value in node.values())


def parse_reply(text: str, model: type[T]) -> T:
    """Validate a reply against `model`; raises pydantic's ValidationError when it does not fit."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    return model.model_validate_json(stripped)


def describe_errors(error: ValidationError) -> list[str]:
    """Validation errors as short lines without the offending input (it may hold PHI)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False)[:_MAX_ERRORS_FED_BACK]:
        where = ".".join(str(part) for part in item["loc"]) or "(whole reply)"
        lines.append(f"{where}: {item['msg']}")
    return lines


def repair_messages(
    messages: Sequence[ChatMessage], reply: str, error: ValidationError
) -> list[ChatMessage]:
    """The conversation plus the invalid reply and what was wrong with it, for one more try."""
    problems = "\n".join(f"- {line}" for line in describe_errors(error))
    feedback = (
        "Your reply did not match the required JSON schema:\n"
        f"{problems}\n"
        "Reply again with only the corrected JSON object."
    )
    return [
        *messages,
        ChatMessage(role="assistant", content=reply),
        ChatMessage(role="user", content=feedback),
    ]
