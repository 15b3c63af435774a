"""The root Typer app, global options, and helpers every command shares."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from caredesk import __version__
from caredesk.api.resources import Resources
from caredesk.domain.errors import CaredeskError
from caredesk.logs import configure_logging
from caredesk.settings import Settings

app = typer.Typer(
    name="caredesk",
    help="caredesk: prior-authorization documents, knowledge base, copilot and packets.\n\n"
    "Settings come from CAREDESK_* environment variables or a .env file; see the README.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class CliState:
    """Settings built once per invocation and shared by the command that runs."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self.data_dir: Path | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {"data_dir": self.data_dir} if self.data_dir else {}
            try:
                self._settings = Settings(**overrides)
            except ValidationError as exc:
                raise fail(
                    f"invalid settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
                ) from None
        return self._settings


state = CliState()


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (overrides CAREDESK_DATA_DIR)."),
    ] = None,
) -> None:
    state.data_dir = data_dir
    state._settings = None  # a new invocation in the same process (tests) rebuilds settings


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@contextmanager
def resources(*, log: bool = False) -> Iterator[Resources]:
    """Resources for one command; CaredeskErrors become a message and exit code 1.

    Logs go to stderr and the data directory, never stdout (which carries `--json` output);
    one-shot commands log warnings only unless `log` asks for the configured level.
    """
    settings = state.settings
    quiet = {"log_level": "WARNING", "log_format": "console"}
    configure_logging(settings if log else settings.model_copy(update=quiet))
    built = None
    try:
        built = Resources.build(settings)
        yield built
    except CaredeskError as exc:
        raise fail(exc.reason) from None
    finally:
        if built is not None:
            built.close()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


@app.command()
def version() -> None:
    """Print the caredesk version."""
    console.print(__version__)
