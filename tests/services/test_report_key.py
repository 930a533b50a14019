"""A cached report's key names everything the report is built from, so a cache keyed by it
never serves a report of settings or answers that have since changed."""

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services import rounds as round_svc
from surveyapp.services.reports import report_key


def test_the_key_follows_settings_answers_and_the_automatically_compared_round(app, make_round):
    earlier = make_round("Earlier", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        round_svc.close_round(db.session.get(Round, earlier))
        db.session.commit()
    later = make_round("Later", open_=True, partner_type_slugs=["school", "police"])
    with app.app_context():
        round_ = db.session.get(Round, later)
        round_.compared_round_id = None  # compared with the latest closed round, found anew
        db.session.commit()
        keys = [report_key(round_)]
        assert report_key(db.session.get(Round, later)) == keys[0]  # nothing changed
        changes = [
            lambda: setattr(round_, "min_group_size", 8),  # suppression differs
            lambda: setattr(round_, "title", "Later, renamed"),
            lambda: round_.partner_types.pop(),
            lambda: setattr(round_, "data_version", round_.data_version + 1),
            lambda: setattr(db.session.get(Round, earlier), "data_version", 1),
            lambda: setattr(db.session.get(Round, earlier), "min_group_size", 9),
        ]
        for change in changes:
            change()
            db.session.commit()
            keys.append(report_key(db.session.get(Round, later)))
        assert len(set(keys)) == len(keys)
