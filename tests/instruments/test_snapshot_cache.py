"""A round's instrument is parsed once per process and per snapshot, never shared between
snapshots of different content."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.instruments import get_instrument
from surveyapp.models import InstrumentSnapshot, Round
from surveyapp.services.rounds import snapshot_for


def test_snapshot_is_parsed_once_and_edited_content_gets_its_own(app_ctx):
    standard = get_instrument("early-help-pathways@1")
    snap = snapshot_for(standard)
    first = snap.instrument()
    assert first == standard
    assert snap.instrument() is first  # parsed once

    edited = standard.to_dict()
    edited["title"] = "Edited title"
    other = InstrumentSnapshot(
        key=standard.key,
        version=standard.version,
        title="Edited title",
        content_sha256="0" * 64,
        definition=edited,
    )
    db.session.add(other)
    db.session.flush()
    assert other.instrument().title == "Edited title"
    assert snap.instrument().title == standard.title


def test_round_loads_without_reading_the_definition_until_needed(app_ctx, make_round):
    round_id = make_round()
    db.session.expunge_all()
    round_ = db.session.scalar(sa.select(Round).where(Round.id == round_id))
    assert "definition" not in round_.instrument.__dict__  # deferred column, not loaded
    assert round_.instrument.instrument().ref == "early-help-pathways@1"
