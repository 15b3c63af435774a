"""cases: values with evidence, documents, checklist runs, drafts, versions, reviews, outbox

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    _cases()
    _checklists()
    _drafts()
    _outbox()


def _cases() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payer", sa.String(length=32), nullable=True),
        sa.Column("plan", sa.String(length=128), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("at_risk_at", _TS, nullable=False),
        sa.Column("payer_clock", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    _indexes("cases", "payer", "received_at", "status", "urgency")
    op.create_index("ix_cases_worklist", "cases", ["status", "due_at"], unique=False)
    op.create_table(
        "case_values",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("original", sa.JSON(), nullable=True),
        sa.Column("corrected_by", sa.String(length=64), nullable=True),
        sa.Column("corrected_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        _fk("case_values", "case_id", "cases"),
        sa.PrimaryKeyConstraint("case_id", "field", name=op.f("pk_case_values")),
    )
    _indexes("case_values", "source")
    op.create_table(
        "case_documents",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        _fk("case_documents", "case_id", "cases"),
        _fk("case_documents", "document_id", "documents"),
        sa.PrimaryKeyConstraint("case_id", "document_id", name=op.f("pk_case_documents")),
    )
    _indexes("case_documents", "document_id")


def _checklists() -> None:
    op.create_table(
        "checklist_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("agent_run_id", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("checklist_runs", "case_id", "cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_runs")),
    )
    _indexes("checklist_runs", "agent_run_id", "case_id", "created_at", "recorded_by")
    op.create_table(
        "checklist_items",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=255), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        _fk("checklist_items", "run_id", "checklist_runs"),
        sa.PrimaryKeyConstraint("run_id", "item_id", name=op.f("pk_checklist_items")),
    )
    _indexes("checklist_items", "status")


def _drafts() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("audience", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("fields_used", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("checklist_run_id", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        _fk("drafts", "case_id", "cases"),
        _fk("drafts", "checklist_run_id", "checklist_runs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    _indexes("drafts", "case_id", "flagged", "state")
    op.create_table(
        "draft_versions",
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("fields_used", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("draft_versions", "draft_id", "drafts"),
        sa.PrimaryKeyConstraint("draft_id", "number", name=op.f("pk_draft_versions")),
    )
    op.create_table(
        "draft_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("draft_reviews", "draft_id", "drafts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_reviews")),
    )
    _indexes("draft_reviews", "draft_id")


def _outbox() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.String(length=64), nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        _fk("outbox_messages", "case_id", "cases"),
        _fk("outbox_messages", "draft_id", "drafts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_outbox_messages_draft_id")),
    )
    _indexes("outbox_messages", "case_id", "status")


def downgrade() -> None:
    for table in (
        "outbox_messages",
        "draft_reviews",
        "draft_versions",
        "drafts",
        "checklist_items",
        "checklist_runs",
        "case_documents",
        "case_values",
        "cases",
    ):
        op.drop_table(table)
