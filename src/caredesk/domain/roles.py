"""Roles, what each may do, and the object-level permission rules in one place."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INTAKE = "intake"
    COORDINATOR = "coordinator"
    REVIEWER = "reviewer"  # compliance reviewer
    ADMIN = "admin"


ALL_ROLES: frozenset[Role] = frozenset(Role)
# "coordinator and up": people who work cases and may read payer rules.
CASE_WORKERS: frozenset[Role] = frozenset({Role.COORDINATOR, Role.REVIEWER, Role.ADMIN})
DOCUMENT_READERS: frozenset[Role] = frozenset(
    {Role.INTAKE, Role.COORDINATOR, Role.REVIEWER, Role.ADMIN}
)
UPLOADERS: frozenset[Role] = frozenset({Role.INTAKE, Role.COORDINATOR, Role.ADMIN})
AUDITORS: frozenset[Role] = frozenset({Role.REVIEWER, Role.ADMIN})
ADMINS: frozenset[Role] = frozenset({Role.ADMIN})


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; choose one of: {allowed}") from None


def may_approve(approver_id: str, author_ids: set[str]) -> bool:
    """Four eyes: whoever generated or edited a draft cannot approve it."""
    return approver_id not in author_ids


def may_read_thread(user_id: str, role: Role, owner_id: str) -> bool:
    """Copilot threads are private to their owner; admins may read any for support."""
    return user_id == owner_id or role is Role.ADMIN
