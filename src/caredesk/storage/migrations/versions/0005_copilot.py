"""copilot: threads and messages

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-28 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "copilot_threads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_copilot_threads_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copilot_threads")),
    )
    op.create_index(
        "ix_copilot_threads_owner_updated", "copilot_threads", ["owner_id", "updated_at"]
    )
    op.create_index(op.f("ix_copilot_threads_case_id"), "copilot_threads", ["case_id"])
    op.create_table(
        "copilot_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("prompt_ref", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("abstained", sa.Boolean(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["copilot_threads.id"],
            name=op.f("fk_copilot_messages_thread_id_copilot_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copilot_messages")),
    )
    op.create_index(
        "ix_copilot_messages_thread_seq", "copilot_messages", ["thread_id", "seq"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_copilot_messages_thread_seq", table_name="copilot_messages")
    op.drop_table("copilot_messages")
    op.drop_index(op.f("ix_copilot_threads_case_id"), table_name="copilot_threads")
    op.drop_index("ix_copilot_threads_owner_updated", table_name="copilot_threads")
    op.drop_table("copilot_threads")
