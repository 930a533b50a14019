"""A cached report's key follows the report versions of the round and its compared round, so a
cache keyed by it never serves a report of settings or answers that have since changed."""

import dataclasses

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting.build import version_key
from surveyapp.services import rounds as round_svc
from surveyapp.services.report_version import bump_report_version


def _update(round_id: int, **changes: object) -> None:
    round_ = db.session.get(Round, round_id)
    settings = round_svc.RoundSettings.of(round_)
    round_svc.update_round(round_, dataclasses.replace(settings, **changes))


def test_the_key_follows_settings_answers_and_the_automatically_compared_round(app, make_round):
    earlier = make_round("Earlier", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        round_svc.close_round(db.session.get(Round, earlier))
        db.session.commit()
    middle = make_round("Middle", open_=True, partner_type_slugs=["school"])
    later = make_round("Later", open_=True, partner_type_slugs=["school", "police"])
    with app.app_context():
        round_ = db.session.get(Round, later)
        round_.compared_round_id = None  # compared with the latest closed round, found anew
        db.session.commit()
        keys = [version_key(round_)]
        assert version_key(db.session.get(Round, later)) == keys[0]  # nothing changed
        changes = [
            lambda: _update(later, min_group_size=8),  # suppression differs
            lambda: _update(later, title="Later, renamed"),
            lambda: _update(later, partner_type_slugs=("school",)),
            lambda: bump_report_version(later),  # as a submission or an import does
            lambda: bump_report_version(earlier),
            # unpinned, and a newer round closes: the report is compared with it instead
            lambda: (
                setattr(db.session.get(Round, later), "compared_round_id", None),
                round_svc.close_round(db.session.get(Round, middle)),
            ),
        ]
        for change in changes:
            change()
            db.session.commit()
            keys.append(version_key(db.session.get(Round, later)))
        assert len(set(keys)) == len(keys)
        _update(later, title="Later, renamed")  # pins the compared round: a new version
        db.session.commit()
        pinned = version_key(db.session.get(Round, later))
        _update(later, title="Later, renamed")  # the same settings again: no new version
        db.session.commit()
        assert version_key(db.session.get(Round, later)) == pinned
