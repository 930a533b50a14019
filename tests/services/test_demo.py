"""The demo's rounds: a year of closing gaps to show on the trends page, loaded once."""

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Response, Round
from surveyapp.reporting.build import round_report
from surveyapp.reporting.trends import closed_rounds, instrument_trend
from surveyapp.services.demo import CLOSED_TITLE, OPEN_TITLE, PREVIOUS_TITLE, load_demo


def _responses(title: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).join(Round).where(Round.title == title)
    )


def test_the_previous_spring_has_wider_gaps_for_everyone_in_every_domain(app_ctx):
    load_demo()
    trend = instrument_trend(closed_rounds("early-help-pathways"))
    everyone = trend.loc[trend["group"] == "all"]
    assert list(everyone["round_title"].unique()) == [PREVIOUS_TITLE, CLOSED_TITLE]
    change = everyone.loc[everyone["round_title"] == CLOSED_TITLE, "change"]
    assert len(change) == 6 and (change < -2).all() and (change > -15).all()
    # the spring report compares with the spring before it; the earliest with nothing
    spring = db.session.scalar(sa.select(Round).where(Round.title == CLOSED_TITLE))
    previous = db.session.scalar(sa.select(Round).where(Round.title == PREVIOUS_TITLE))
    assert round_report(spring.id).compared_title == PREVIOUS_TITLE
    assert round_report(previous.id).compared_round_id is None


def test_a_demo_loaded_before_the_previous_spring_gets_just_that_round(app_ctx):
    load_demo()
    before = {t: _responses(t) for t in (CLOSED_TITLE, OPEN_TITLE)}
    # as an older demo database looks: no previous spring
    db.session.execute(
        sa.update(Round).where(Round.title == PREVIOUS_TITLE).values(title="Someone else's round")
    )
    lines = load_demo()
    assert any(line.startswith("Loaded demo round ") for line in lines)
    assert {t: _responses(t) for t in (CLOSED_TITLE, OPEN_TITLE)} == before
    assert _responses(PREVIOUS_TITLE) == _responses("Someone else's round") > 300
    assert load_demo()[0] == "Demo data is already loaded."
