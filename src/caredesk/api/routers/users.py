"""User administration (admins only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from caredesk.accounts.service import create_user
from caredesk.api.deps import CurrentPrincipal, DbDep, ReadDbDep, allow
from caredesk.domain.roles import ADMINS
from caredesk.storage.db import transaction
from caredesk.storage.models import User

router = APIRouter(prefix="/users", tags=["users"])


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(description="intake, coordinator, reviewer or admin")
    full_name: str = Field("", max_length=128)
    password: str | None = Field(None, description="At least 12 characters; omit to generate one")


class UserOut(BaseModel):
    id: str
    username: str
    full_name: str
    role: str
    active: bool
    created_at: datetime


class UserCreated(UserOut):
    password: str = Field(description="The initial password; shown once")


def _out(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "active": user.active,
        "created_at": user.created_at,
    }


@router.post(
    "",
    dependencies=[allow(ADMINS)],
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    summary="Create a user",
)
def create(body: UserCreate, db: DbDep, principal: CurrentPrincipal) -> UserCreated:
    """Create a user with a role; the password is generated when not given and shown once."""
    with transaction(db) as session:
        user, password = create_user(
            session,
            body.username,
            body.role,
            password=body.password,
            full_name=body.full_name,
            by=principal.actor,
        )
        return UserCreated(**_out(user), password=password)


@router.get("", dependencies=[allow(ADMINS)], response_model=list[UserOut], summary="List users")
def list_users(read_db: ReadDbDep) -> list[UserOut]:
    """Every user with their role, oldest first."""
    with read_db() as session:
        users = session.execute(select(User).order_by(User.created_at)).scalars().all()
        return [UserOut(**_out(u)) for u in users]
