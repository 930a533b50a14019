"""The version every cached report of a round is keyed by (``Round.data_version``).

Anything that changes what a round's report is built from (its responses, title, minimum group
size, partner types or compared round) calls :func:`bump_report_version` in the same
transaction; :mod:`surveyapp.reporting.build` keys its one cache by the version of the round and
of the round it is compared with, so a cached report is never stale. Round ids are never reused
(``sqlite_autoincrement``), so (database, round id, version) names one state of one round.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import db
from surveyapp.models import Round

_ROUNDS = Round.__table__.c
#: Built once: it runs with every submission.
_BUMP = (
    sa.update(Round.__table__)  # type: ignore[arg-type]
    .where(_ROUNDS.id == sa.bindparam("round_id"))
    .values(data_version=_ROUNDS.data_version + 1)
)


def bump_report_version(round_id: int) -> None:
    """Add one to the round's report version, atomically in the database (two submissions at
    once each add one), in the session's transaction. A copy of the round the session holds
    reads the new version when next used; the session's other changes are flushed first."""
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.flush()
    db.session.connection().execute(_BUMP, {"round_id": round_id})
    loaded = db.session.identity_map.get(so.util.identity_key(Round, round_id))
    if loaded is not None:
        db.session.expire(loaded, ["data_version"])


def bump_every_report_version() -> None:
    """A name every round's report may show changed (a partner type or locality renamed, past
    rounds included): no cached report of any round may keep the old name. Flushes."""
    db.session.execute(sa.update(Round).values(data_version=Round.data_version + 1))
    db.session.flush()
