"""The comments page and download: leads only, small groups not named, search, themes."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook

from surveyapp.extensions import db
from surveyapp.models import PartnerType, Response
from tests.conftest import csrf_token_from

SCHOOL = [
    "More multi-agency training on thresholds",
    "Training on thresholds for new staff",
    "Threshold training every year would help",
    "Joint training with social care on thresholds",
    "Refresher training on the thresholds guidance",
    '=HYPERLINK("http://evil.example")',
]
POLICE = [
    "A named contact in the early help team",
    "One phone number for the early help team",
    "Knowing who to phone in the early help team",
    "A contact list for the early help team",
    "",
]
GP = ["Quicker replies from the early help team", "Feedback after a referral"]


def add_responses(app, round_id: int) -> None:
    with app.app_context():
        types = {p.slug: p.id for p in db.session.scalars(sa.select(PartnerType))}
        for slug, texts in (("school", SCHOOL), ("police", POLICE), ("gp", GP)):
            for text in texts:
                db.session.add(
                    Response(
                        round_id=round_id,
                        partner_type_id=types[slug],
                        channel="open",
                        submitted_on=date(2026, 11, 1),
                        comment=text or None,
                    )
                )
        db.session.commit()


def test_comments_page_names_only_groups_large_enough(app, client, make_user, login, make_round):
    round_id = make_round(
        "Comments", open_=True, min_group_size=5, partner_type_slugs=["school", "police", "gp"]
    )
    add_responses(app, round_id)
    login(make_user("lead"))
    page = client.get(f"/rounds/{round_id}/comments")
    assert page.status_code == 200
    text = page.text
    assert "12 of 13 people wrote something" in text
    # School (6) is named. GP (2) is below 5, and as the only small group it would be the
    # "another partner type" of everything not school or police, so police (5) is hidden too.
    assert "<td>School</td><td>More multi-agency training on thresholds</td>" in text
    assert "<td>Police</td>" not in text and "<td>GP</td>" not in text
    assert "<td>Another partner type</td><td>Feedback after a referral</td>" in text
    assert "Themes" in text and "theme-count" in text
    # search: every word, any case
    found = client.get(f"/rounds/{round_id}/comments?q=EARLY+phone").text
    assert "One phone number for the early help team" in found
    assert "Knowing who to phone in the early help team" in found
    assert "A contact list" not in found.split('id="all"')[1]


def test_comments_download_for_leads_and_never_for_managers(
    app, client, make_user, login, make_round
):
    round_id = make_round(
        "Comments", open_=True, min_group_size=5, partner_type_slugs=["school", "police", "gp"]
    )
    add_responses(app, round_id)
    manager = make_user("manager")
    with app.test_client() as other:
        page = other.get("/login")
        other.post(
            "/login",
            data={
                "email": manager["email"],
                "password": manager["password"],
                "csrf_token": csrf_token_from(page.text),
            },
        )
        assert other.get(f"/rounds/{round_id}/comments").status_code == 403
        assert other.get(f"/rounds/{round_id}/comments.xlsx").status_code == 403
        for fmt in ("csv", "html"):
            report = other.get(f"/rounds/{round_id}/report.{fmt}")
            assert report.status_code == 200
            assert "Feedback after a referral" not in report.get_data(as_text=True)
    login(make_user("lead"))
    resp = client.get(f"/rounds/{round_id}/comments.xlsx")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.data))
    rows = list(book["Comments"].iter_rows(values_only=True))
    assert rows[0] == ("Partner type", "Comment")
    assert len(rows) == 1 + 12
    assert ("School", '\'=HYPERLINK("http://evil.example")') in rows
    assert ("Another partner type", "Feedback after a referral") in rows
    themes = list(book["Themes"].iter_rows(values_only=True))
    assert themes[0][:2] == ("Theme (top words)", "Comments")
    assert sum(row[1] for row in themes[1:]) <= 12 and len(themes) >= 2
