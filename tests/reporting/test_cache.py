"""The in-process report cache is only an optimisation: it never serves a stale view."""

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting import build, views
from surveyapp.services import rounds as round_svc
from surveyapp.services.report_version import bump_report_version
from tests.reporting.test_version_key import _update


def test_view_is_rebuilt_when_an_automatically_compared_round_changes(app, make_round):
    build.clear_cache()
    earlier = make_round("Earlier", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        round_svc.close_round(db.session.get(Round, earlier))
        db.session.commit()
    later = make_round("Later", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        # No explicit comparison: the report picks the latest earlier closed round itself.
        db.session.get(Round, later).compared_round_id = None
        db.session.commit()
        first = views.report_view(db.session.get(Round, later))
        assert views.report_view(db.session.get(Round, later)) is first
        bump_report_version(earlier)
        db.session.commit()
        assert views.report_view(db.session.get(Round, later)) is not first


def test_a_new_round_never_gets_the_view_of_an_erased_round_with_the_same_id(app, make_round):
    from surveyapp.services.dataprotection import erase_round

    build.clear_cache()
    gone = make_round("Erased", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        old = views.report_view(db.session.get(Round, gone))
        erase_round(db.session.get(Round, gone))
        db.session.commit()
    new = make_round("New", open_=True, partner_type_slugs=["police"])
    with app.app_context():
        view = views.report_view(db.session.get(Round, new))
        assert view is not old
        assert view.report is not old.report


def test_raising_the_minimum_group_size_suppresses_a_cached_group(
    app, runner, make_round, tmp_path
):
    """A lead raises the minimum after answers arrived: the next view hides the smaller group."""
    build.clear_cache()
    rid = make_round(
        "Small groups", open_=True, partner_type_slugs=["school", "police"], min_group_size=5
    )
    source = tmp_path / "answers.csv"
    source.write_text("partner_type,comm_partners\n" + "school,4\n" * 9 + "police,2\n" * 7)
    assert runner.invoke(args=["responses", "import", str(rid), str(source)]).exit_code == 0

    def police_shown() -> bool:
        items = views.report_view(db.session.get(Round, rid)).report.items
        police = items.loc[
            (items["partner_type"] == "police") & (items["item_id"] == "comm_partners")
        ]
        return not bool(police["suppressed"].iloc[0])

    with app.app_context():
        assert police_shown()  # 7 answers, minimum 5
        _update(rid, min_group_size=8)
        db.session.commit()
        assert not police_shown()  # 7 answers, minimum 8


def test_renaming_a_partner_type_renames_it_in_a_cached_report(app, runner, make_round, tmp_path):
    """Reference data is shown in every round's report, past ones included."""
    from surveyapp.services import reference

    build.clear_cache()
    rid = make_round("Renamed", open_=True, partner_type_slugs=["school"], min_group_size=5)
    source = tmp_path / "answers.csv"
    source.write_text("partner_type,comm_partners\n" + "school,4\n" * 6)
    assert runner.invoke(args=["responses", "import", str(rid), str(source)]).exit_code == 0

    def labels() -> set[str]:
        return set(views.report_view(db.session.get(Round, rid)).report.items["group_label"])

    with app.app_context():
        assert "School" in labels()
        school = reference.partner_type_by_slug("school")
        reference.rename_partner_type(school, "Schools and colleges")
        db.session.commit()
        assert "Schools and colleges" in labels() and "School" not in labels()
