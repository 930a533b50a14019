"""The report page's cache follows every setting the report is built from, not only answers."""

from surveyapp.extensions import db
from surveyapp.models import Round
from tests.web import test_reports as page
from tests.web.test_reports import STATEMENT, nums, row, visible

#: The same imported round (8 + 7 + 6 + 2 respondents, minimum 5) and manager as the page tests.
round_id = page.round_id
manager = page.manager


def test_raising_the_minimum_group_size_suppresses_a_page_already_seen(app, client, round_id,
                                                                       manager):
    school = '<th scope="row">School</th>'
    first = visible(client.get(f"/rounds/{round_id}/report").text)
    assert nums(row(first, STATEMENT, school))[0] == "7"  # 7 valid answers, shown
    with app.app_context():  # the lead raises the minimum; no new answers arrive
        db.session.get(Round, round_id).min_group_size = 8
        db.session.commit()
    again = visible(client.get(f"/rounds/{round_id}/report").text)
    assert "fewer than 8 or withheld" in row(again, STATEMENT, school)
    assert nums(row(again, STATEMENT, school))[0:1] != ["7"]
