"""A round's default compared round is the same when the round is saved and when its report is
built: the latest closed round of the instrument that closed before it (they once disagreed)."""

from datetime import timedelta

from surveyapp import timeutil
from surveyapp.analysis.frames import compared_round_id
from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services import rounds as svc


def test_a_round_is_compared_with_an_earlier_round_not_a_later_one(app, make_round):
    with app.app_context():
        today = timeutil.today()
    earlier = make_round("Earlier", open_=True, closes_on=today + timedelta(days=10))
    later = make_round("Later", open_=True, closes_on=today + timedelta(days=100))
    with app.app_context():
        for rid in (earlier, later):
            svc.close_round(db.session.get(Round, rid))
        db.session.commit()
    # Closes between the two: the later round closed after it, so is not "the last round".
    middle = make_round("Middle", closes_on=today + timedelta(days=50))
    with app.app_context():
        round_ = db.session.get(Round, middle)
        assert round_.compared_round_id == earlier
        assert compared_round_id(db.session, middle) == earlier
        # The report's own fallback, for a round saved with none, gives the same.
        round_.compared_round_id = None
        db.session.commit()
        assert compared_round_id(db.session, middle) == earlier
    last = make_round("Last", closes_on=today + timedelta(days=200))
    with app.app_context():
        assert db.session.get(Round, last).compared_round_id == later
