"""The version every cached report of a round is keyed by (``Round.data_version``).

Anything that changes what a round's report is built from (its responses, title, minimum group
size, partner types or compared round) calls :func:`bump_report_version` in the same
transaction; :mod:`surveyapp.reporting.build` keys its one cache by the version of the round and
of the round it is compared with, so a cached report is never stale. Round ids are never reused
(``sqlite_autoincrement``), so (database, round id, version) names one state of one round.
"""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Round


def bump_report_version(round_id: int) -> None:
    """Add one to the round's report version, atomically in the database (two submissions at
    once each add one); the session's copy of the round is updated too. Flushes."""
    db.session.execute(
        sa.update(Round).where(Round.id == round_id).values(data_version=Round.data_version + 1)
    )
    db.session.flush()


def bump_every_report_version() -> None:
    """A name every round's report may show changed (a partner type or locality renamed, past
    rounds included): no cached report of any round may keep the old name. Flushes."""
    db.session.execute(sa.update(Round).values(data_version=Round.data_version + 1))
    db.session.flush()
