"""agent: runs of the packet-assembly agent

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:00:00.000000

LangGraph's checkpointers create their own tables (`checkpoints`, `writes` on SQLite;
`checkpoints`, `checkpoint_blobs`, `checkpoint_writes` on PostgreSQL) on first use.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agent_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_by_role", sa.String(length=24), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("current_node", sa.String(length=32), nullable=False),
        sa.Column("nodes_done", sa.JSON(), nullable=False),
        sa.Column("nodes_total", sa.Integer(), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("assessment_id", sa.String(length=32), nullable=True),
        sa.Column("draft_ids", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_agent_runs_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_runs")),
    )
    op.create_index(op.f("ix_agent_runs_status"), "agent_runs", ["status"], unique=False)
    op.create_index("ix_agent_runs_case_created", "agent_runs", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_agent_runs_case_created", table_name="agent_runs")
    op.drop_index(op.f("ix_agent_runs_status"), table_name="agent_runs")
    op.drop_table("agent_runs")
