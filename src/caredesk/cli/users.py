"""`caredesk users`: create and list users, issue API tokens."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from caredesk.accounts.service import create_user, get_user, issue_token
from caredesk.audit.log import Actor
from caredesk.cli.app import app, console, print_json, resources
from caredesk.storage.db import transaction
from caredesk.storage.models import User

users_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")

CLI_ACTOR = Actor(f"cli:{getpass.getuser()}", "admin")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, dots, dashes.")],
    role: Annotated[str, typer.Option(help="intake, coordinator, reviewer or admin.")],
    full_name: Annotated[str, typer.Option(help="Name shown in the UI and the audit trail.")] = "",
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input instead of generating it.")
    ] = False,
) -> None:
    """Create a user; prints the generated password once."""
    password = typer.get_text_stream("stdin").read().strip() if password_stdin else None
    with resources() as built, transaction(built.db) as session:
        user, secret = create_user(
            session, username, role, password=password, full_name=full_name, by=CLI_ACTOR
        )
    console.print(f"created [bold]{user.username}[/bold] ({user.role}), id {user.id}")
    if not password_stdin:
        console.print(f"password: [bold]{secret}[/bold]  (shown once)")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List users and their roles."""
    with resources() as built, built.read_db() as session:
        users = session.execute(select(User).order_by(User.created_at)).scalars().all()
    rows = [
        {
            "id": u.id,
            "username": u.username,
            "role": u.role,
            "full_name": u.full_name,
            "active": u.active,
            "demo": u.is_demo,
        }
        for u in users
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("username", "role", "name", "active", "id")
    for row in rows:
        table.add_row(
            str(row["username"]),
            str(row["role"]),
            str(row["full_name"]),
            "yes" if row["active"] else "no",
            str(row["id"]),
        )
    console.print(table)


@users_app.command("token")
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "cli",
) -> None:
    """Issue an API bearer token for a user (printed once; only its hash is stored)."""
    with resources() as built, transaction(built.db) as session:
        token = issue_token(session, get_user(session, username), name)
    console.print(token, soft_wrap=True)
