"""The Alembic migrations build the whole schema from empty, on SQLite and on PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models.reference import SEED_PARTNER_TYPES


def test_upgrade_from_empty_matches_models_and_seeds_partner_types(app_config):
    app = create_app(app_config)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            rows = conn.execute(
                sa.text("SELECT slug, label FROM partner_types ORDER BY position")
            ).all()
        assert diff == [], f"models and migrations differ: {diff}"
        assert [tuple(r) for r in rows] == list(SEED_PARTNER_TYPES)
        upgrade()  # a second run is a no-op
        db.engine.dispose()


def test_cli_db_upgrade(app_config):
    app = create_app(app_config)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {
        "rounds",
        "responses",
        "answers",
        "invitations",
        "open_links",
        "drafts",
        "users",
        "audit_events",
        "outbox",
        "instrument_snapshots",
        "partner_types",
        "localities",
        "submission_receipts",
        "import_batches",
    } <= tables
