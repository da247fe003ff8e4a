"""Judged genomes: every gate report and decision records the genome it judged, and a
candidate's genome never changes once written (a trigger refuses it), so an approval cannot be
moved to a rule nobody reviewed.

The rows written before this revision get the genome their candidate names now (the append-only
guards of both tables are lifted for that one update, in the migration's transaction).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.append_only import allow_changes, forbid_changes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JUDGING = ("gate_reports", "decisions")
FIXED = "candidates.genome_id never changes once written"


def upgrade() -> None:
    allow_changes(JUDGING)
    for table in JUDGING:
        op.add_column(table, sa.Column("genome_id", sa.String(length=64), nullable=True))
        op.execute(
            f"UPDATE {table} SET genome_id = (SELECT candidates.genome_id FROM candidates "
            f"WHERE candidates.id = {table}.candidate_id)"
        )
    forbid_changes(JUDGING)
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER candidates_genome_fixed BEFORE UPDATE OF genome_id ON candidates "
            "WHEN NEW.genome_id IS NOT OLD.genome_id "
            f"BEGIN SELECT RAISE(ABORT, '{FIXED}'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION candidates_genome_fixed() RETURNS trigger AS $$ BEGIN "
            "IF NEW.genome_id IS DISTINCT FROM OLD.genome_id THEN "
            f"RAISE EXCEPTION '{FIXED}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER candidates_genome_fixed BEFORE UPDATE OF genome_id ON candidates "
            "FOR EACH ROW EXECUTE FUNCTION candidates_genome_fixed()"
        )


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS candidates_genome_fixed")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS candidates_genome_fixed ON candidates")
        op.execute("DROP FUNCTION IF EXISTS candidates_genome_fixed()")
    allow_changes(JUDGING)
    for table in JUDGING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("genome_id")
    forbid_changes(JUDGING)
