"""Who sees response counts (docs/privacy.md): managers see a group's counts on the
response-rate page only where the gap report shows it; leads, admins and operators (the
``rounds status`` command) see exact counts; the published summary shows the report's
numbers with the report's one label."""

from __future__ import annotations

import re

import pytest

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, Round
from surveyapp.reporting import build
from tests.conftest import csrf_token_from

LABEL = "fewer than 5 or withheld"


def add_open_responses(app, round_id: int, groups: list[tuple[str, int, int | None]]) -> None:
    """(partner type slug, people, their answer to comm_partners or None for "don't know")."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        ids = {p.slug: p.id for p in round_.partner_types}
        day = round_.opened_at.date()
        for slug, n, value in groups:
            for _ in range(n):
                answer = Answer(item_id="comm_partners", value=value, dont_know=value is None)
                db.session.add(
                    Response(
                        round_id=round_id,
                        partner_type_id=ids[slug],
                        channel="open",
                        submitted_on=day,
                        answers=[answer],
                    )
                )
        db.session.commit()


@pytest.fixture
def round_id(app, make_round):
    """School 12 people answering, police 7 who all answered "don't know", GP 6: the report
    hides police (no valid answer) and so GP too (the smallest shown group, or police's
    zero would follow from the total), although police and GP both have 5 people or more."""
    rid = make_round(
        "Spring", open_=True, partner_type_slugs=["school", "police", "gp"], min_group_size=5
    )
    add_open_responses(app, rid, [("school", 12, 4), ("police", 7, None), ("gp", 6, 2)])
    build.clear_cache()
    return rid


def cells(page: str, label: str) -> list[str]:
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num">(?:<meter[^>]*></meter>)?([^<]*)</td>', row)


def test_a_manager_sees_counts_only_for_groups_the_report_shows(client, make_user, login, round_id):
    login(make_user("manager"))
    for url in (f"/rounds/{round_id}/status", f"/rounds/{round_id}/status/table"):
        page = client.get(url).text
        assert cells(page, "School") == ["0", "0", "0", "–", "12"]
        assert cells(page, "Police") == ["0", LABEL, LABEL, LABEL, LABEL]
        assert cells(page, "GP") == ["0", LABEL, LABEL, LABEL, LABEL]
        assert cells(page, "All partners") == ["0", "0", "0", "–", "25"]
        assert "Responses from every channel: <strong>25</strong>" in page
        assert ">7<" not in page and ">6<" not in page
    # the report hides the same two groups with the same label
    report = client.get(f"/rounds/{round_id}/report").text
    picture = report.split('id="h-picture"')[1].split("</section>")[0]
    assert picture.count(LABEL) == 2 and ">12<" in picture


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_see_exact_counts(client, make_user, login, round_id, role):
    login(make_user(role))
    page = client.get(f"/rounds/{round_id}/status/table").text
    assert cells(page, "Police") == ["0", "0", "0", "–", "7"]
    assert cells(page, "GP") == ["0", "0", "0", "–", "6"]
    assert LABEL not in page


def test_rounds_status_on_the_command_line_is_exact(app, runner, round_id):
    out = runner.invoke(args=["rounds", "status", str(round_id)]).output
    assert re.search(r"^\s+Police\s+0\s+0\s+0\s+–\s+7$", out, re.M), out
    assert re.search(r"^\s+GP\s+0\s+0\s+0\s+–\s+6$", out, re.M), out


def test_the_summary_hides_what_the_report_hides_with_its_label(
    app, client, make_user, login, round_id
):
    login(make_user("lead"))
    token = csrf_token_from(client.get(f"/rounds/{round_id}").text)
    client.post(f"/rounds/{round_id}/close", data={"csrf_token": token})
    resp = client.post(
        f"/rounds/{round_id}/publish", data={"csrf_token": token, "actions_text": "We will."}
    )
    assert resp.status_code == 302
    with app.app_context():
        slug = db.session.get(Round, round_id).open_links[0].slug
    public = client.get(f"/results/{slug}").text
    assert "25 people answered." in public
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(.*?)</td></tr>", public))
    # the old rule (fewer than 5 responses) would have shown police's 7 and GP's 6
    assert rows == {"School": "12", "Police": LABEL, "GP": LABEL}
