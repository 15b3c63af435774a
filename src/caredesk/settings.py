"""One Settings object (env prefix CAREDESK_), built once at start-up and injected."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one caredesk installation.

    Every field is documented: the README's configuration table is generated from these
    descriptions and a test keeps the two in sync.
    """

    model_config = SettingsConfigDict(
        env_prefix="CAREDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- installation -----------------------------------------------------------------------
    data_dir: Path = Field(
        Path("./var"),
        description="Directory holding all state: database file, blobs, vector index, logs.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty: SQLite file `caredesk.db` in the data directory. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`.",
    )
    vector_url: str = Field(
        "",
        description="Chroma server URL (`http://host:8000`). Empty: a local Chroma directory "
        "in the data directory.",
    )
    broker_url: str = Field(
        "",
        description="Celery broker URL (`redis://host:6379/0`). Empty: in-process job workers.",
    )
    host: str = Field("127.0.0.1", description="Address `caredesk serve` binds to.")
    port: int = Field(8000, description="Port `caredesk serve` listens on.")
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_format: Literal["json", "console"] = Field(
        "json", description="Log line format: `json` (one object per line) or `console`."
    )
    secret_key: str = Field(
        "",
        description="Key that signs session cookies and CSRF tokens. Empty: generated once "
        "and kept in `secret.key` in the data directory.",
    )
    seed_demo: bool = Field(
        True,
        description="Seed demo users, documents and cases when the data directory is empty "
        "(`make run`). Never touches a data directory that already holds work.",
    )

    # --- documents and ingestion ---------------------------------------------------------
    max_upload_mb: int = Field(50, ge=1, description="Largest accepted upload, in megabytes.")
    max_pages: int = Field(500, ge=1, description="Most pages read from one document.")
    max_image_pixels: int = Field(
        200_000_000,
        ge=1_000_000,
        description="Most pixels in one page image; larger images are rejected as "
        "decompression bombs.",
    )
    ocr_page_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Seconds tesseract may spend on one page before it is marked unreadable.",
    )
    ocr_workers: int = Field(
        0, ge=0, description="OCR processes per document. 0: one per CPU core."
    )
    job_workers: int = Field(
        2, ge=1, description="In-process background job threads (when no broker is set)."
    )
    job_lease_s: float = Field(
        30.0,
        gt=0,
        description="Seconds a worker holds a job without a heartbeat before "
        "another worker may take it over (crash recovery).",
    )
    job_max_attempts: int = Field(
        3, ge=1, description="Attempts before a background job is marked failed."
    )
    auto_accept_threshold: float = Field(
        0.90,
        ge=0,
        le=1,
        description="Field confidence at or above which an extracted value needs no human look.",
    )

    # --- knowledge base and LLM ----------------------------------------------------------
    kb_path: Path = Field(
        Path("knowledge_base"), description="Knowledge-base folder loaded at start-up."
    )
    kb_collection: str = Field(
        "caredesk-kb",
        min_length=3,
        max_length=63,
        description="Chroma collection of the knowledge base; give each installation its own "
        "when several share one Chroma server.",
    )
    kb_autoload: bool = Field(
        True, description="Load (incrementally) the knowledge base when the service starts."
    )
    llm: str = Field(
        "offline",
        description="Answer engine: `offline` (embedded, no model), `openai:<model>` (any "
        "OpenAI-compatible server) or `local:<path.gguf>` (llama.cpp in-process).",
    )
    llm_base_url: str = Field(
        "", description="Base URL of the OpenAI-compatible server (empty: api.openai.com)."
    )
    llm_api_key: str = Field("", description="API key for the OpenAI-compatible server.")
    llm_timeout_s: float = Field(30.0, gt=0, description="Timeout of one LLM request, seconds.")
    llm_max_retries: int = Field(2, ge=0, description="Retries of a failed LLM request.")
    llm_breaker_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failed LLM calls that open the circuit breaker "
        "(calls then fail fast and answers come from the offline engine).",
    )
    llm_breaker_cooldown_s: float = Field(
        30.0, gt=0, description="Seconds the breaker stays open before one probe call."
    )
    llm_structured_retries: int = Field(
        1, ge=0, description="Re-asks when the LLM's JSON does not validate against the schema."
    )
    llm_threads: int = Field(
        0, ge=0, description="CPU threads for a `local:` model. 0: half the cores."
    )
    llm_context_tokens: int = Field(4096, ge=512, description="Context window of a `local:` model.")
    copilot_verify_with_llm: bool = Field(
        False,
        description="Also ask the LLM whether each cited passage entails its answer "
        "sentence (slower; lexical and embedding checks always run).",
    )
    prompts_path: Path | None = Field(
        None, description="Folder of prompt templates. Empty: the `prompts/` shipped with caredesk."
    )

    # --- agent and review ----------------------------------------------------------------
    review_threshold: float = Field(
        0.80,
        ge=0,
        le=1,
        description="Drafts with confidence below this are flagged for review with reasons.",
    )
    agent_max_steps: int = Field(40, ge=1, description="Most graph steps in one agent run.")
    agent_max_llm_calls: int = Field(12, ge=0, description="Most LLM calls in one agent run.")
    agent_max_tokens: int = Field(
        60_000, ge=0, description="Most LLM tokens (prompt + completion) in one agent run."
    )
    agent_max_seconds: float = Field(
        120.0, gt=0, description="Most wall-clock seconds for one agent run."
    )

    outbox_webhook_url: str = Field(
        "",
        description="Where approved, sent drafts are delivered (HTTP POST, JSON). Empty: "
        "recorded in the outbox for a person to transmit.",
    )
    outbox_timeout_s: float = Field(10.0, gt=0, description="Timeout of one webhook delivery.")

    # --- web sessions --------------------------------------------------------------------
    session_idle_minutes: int = Field(
        30, ge=1, description="Minutes of inactivity after which a web session signs out."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins per account and address within 15 minutes "
        "before further attempts are refused.",
    )

    @field_validator("data_dir", "kb_path")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    # --- derived paths (not settings) ----------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'caredesk.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def vector_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def effective_ocr_workers(self) -> int:
        return self.ocr_workers or (os.cpu_count() or 1)

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.blob_dir, self.cache_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)


def configuration_table() -> str:
    """The README's configuration table, generated from the fields above."""
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(empty)" if default == "" else str(default)
        if isinstance(default, bool):
            shown = str(default).lower()
        lines.append(f"| `CAREDESK_{name.upper()}` | `{shown}` | {field.description} |")
    return "\n".join(lines)


def update_readme(path: Path) -> None:
    """Rewrite the table between the README's settings markers."""
    start, end = "<!-- settings:start -->", "<!-- settings:end -->"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{configuration_table()}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--update"]:
        update_readme(Path(sys.argv[2] if len(sys.argv) > 2 else "README.md"))
    else:
        print(configuration_table())
