"""The trends page: roles, the engine's figures round by round, suppression carried through."""

import re
from datetime import date, datetime, time

import pytest

from surveyapp.analysis.data import AnalysisError
from surveyapp.extensions import db
from surveyapp.reporting import build
from surveyapp.reporting import trends as reporting_trends
from surveyapp.reporting.build import round_report
from surveyapp.reporting.trends import closed_rounds, instrument_trend
from surveyapp.services import rounds as round_svc
from surveyapp.services.imports import import_responses
from surveyapp.services.report_version import bump_report_version

KEY = "early-help-pathways"
COMM = ("comm_partners", "comm_feedback", "comm_roles")
#: (title, closing date, {partner type: (agree, disagree)}); every respondent answers the
#: three communication statements alike, so the domain gap is each statement's gap.
ROUNDS = (
    ("Spring 2025", date(2025, 5, 31), {"school": (3, 3), "police": (1, 5)}),
    ("Autumn 2025", date(2025, 11, 30), {"school": (6, 2), "police": (2, 3), "gp": (0, 3)}),
    ("Spring 2026", date(2026, 5, 31), {"school": (4, 1), "police": (3, 3)}),
)


def _closed_round(title: str, closes_on: date, groups: dict[str, tuple[int, int]]) -> int:
    round_ = round_svc.create_round(
        instrument_ref=f"{KEY}@1",
        title=title,
        min_group_size=5,
        partner_type_slugs=["school", "police", "gp"],
    )
    round_svc.open_round(round_)
    lines = ["partner_type," + ",".join(COMM)]
    for partner, (agree, disagree) in groups.items():
        lines += [f"{partner},4,4,4"] * agree + [f"{partner},2,2,2"] * disagree
    import_responses(round_, ("\n".join(lines) + "\n").encode(), f"{title}.csv")
    round_svc.close_round(round_)
    round_.closes_on = closes_on
    round_.closed_at = datetime.combine(closes_on, time(17))
    db.session.commit()
    return round_.id


@pytest.fixture
def round_ids(app):
    build.clear_cache()
    with app.app_context():
        # made newest first: the page orders by closing date, not by id
        return [_closed_round(*spec) for spec in reversed(ROUNDS)][::-1]


@pytest.fixture
def manager(make_user, login):
    login(make_user("manager"))


def visible(html: str) -> str:
    return re.sub(r'srcset="data:[^"]*"|src="data:[^"]*"', 'src=""', html)


def _cells(html: str, domain_label: str, group_label: str) -> list[str]:
    """The text of each round's cell in one row of one domain's table."""
    table = re.search(rf"<h3[^>]*>{re.escape(domain_label)}</h3>(.*?)</table>", html, re.S)
    assert table, domain_label
    row = re.search(
        rf'<th scope="row">{re.escape(group_label)}</th>(.*?)</tr>', table.group(1), re.S
    )
    assert row, group_label
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def test_page_shows_each_round_s_gaps_and_changes_worked_out_by_hand(client, round_ids, manager):
    page = client.get(f"/instruments/{KEY}/trends")
    assert page.status_code == 200
    html = visible(page.text)
    assert "<h1>Trends: " in html
    heads = re.findall(r'<th scope="col" class="num"><a[^>]*>([^<]+)</a>', html)
    assert heads[:3] == ["Spring 2025", "Autumn 2025", "Spring 2026"]
    comm = "Communication between partners"
    # all: 4 of 12 agree (67% not agreeing, 36 answers over 3 statements); 8 of 16 (50%);
    # 7 of 11 (36%): changes −17 and −14 points
    assert _cells(html, comm, "All respondents") == [
        "67% n=36",
        "50% n=48 −17 points",
        "36% n=33 −14 points",
    ]
    assert _cells(html, comm, "School") == ["50% n=18", "25% n=24 −25 points", "20% n=15 −5 points"]
    # autumn: GP (3) is below 5 and police (5) is hidden to protect it; no change either side
    assert _cells(html, comm, "Police") == ["83% n=18", "fewer than 5 or withheld", "50% n=18"]
    # GP, asked every time and answered (3) only in autumn, is shown in no round: no row of
    # empty cells, just its name
    assert re.search(
        r"Not shown in any round \(fewer than 5 answers, or withheld to protect a "
        r"small group\): GP\.",
        html,
    )
    assert '<th scope="row">GP</th>' not in html
    # nobody answered the other domains: every group there is hidden, all respondents too
    assert "small group): All respondents, School, Police, GP." in html
    assert 'alt="Line charts of the gap' in page.text


def test_page_figures_are_the_round_reports_figures(app, client, round_ids, manager):
    html = visible(client.get(f"/instruments/{KEY}/trends").text)
    with app.app_context():
        trend = instrument_trend(closed_rounds(KEY))
        for round_id in round_ids:
            domains = round_report(round_id).domains
            shown = domains.loc[~domains["suppressed"]]
            assert len(shown) >= 2
            mine = trend.loc[(trend["round_id"] == round_id) & (trend["status"] == "shown")]
            assert dict(
                zip(
                    zip(mine["domain"], mine["group"], strict=True),
                    zip(mine["gap"], mine["n_valid"], strict=True),
                    strict=True,
                )
            ) == dict(
                zip(
                    zip(shown["domain"], shown["partner_type"], strict=True),
                    zip(shown["gap"], shown["n_valid"], strict=True),
                    strict=True,
                )
            )
    # the suppressed GP and police of autumn never show a number anywhere on the page: police
    # and GP's 5 + 3 respondents hold 2 + 0 agreeing (gap 60% police, 100% GP, 75% together)
    for hidden in ("60%", "100%", "75%", "n=9"):
        assert hidden not in html.replace("100 −", "")


def test_roles_unknown_instrument_and_too_few_rounds(app, client, make_user, login):
    build.clear_cache()
    assert client.get(f"/instruments/{KEY}/trends").status_code == 302  # to the login page
    login(make_user("lead"))
    assert client.get("/instruments/no-such-questionnaire/trends").status_code == 404
    with app.app_context():
        only = _closed_round(*ROUNDS[0])
    page = client.get(f"/instruments/{KEY}/trends")
    assert page.status_code == 200
    assert "Trends need at least two closed rounds" in page.text
    assert f'href="/rounds/{only}/report"' in page.text
    assert "<table" not in page.text


def test_every_report_reader_can_see_it_and_it_is_linked(client, round_ids, make_user):
    from tests.conftest import TEST_PASSWORD, csrf_token_from

    for role in ("manager", "lead", "admin"):
        user = make_user(role)
        client.post(
            "/login",
            data={
                "email": user["email"],
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token_from(client.get("/login").text),
            },
        )
        assert client.get(f"/instruments/{KEY}/trends").status_code == 200, role
        assert f'href="/instruments/{KEY}/trends"' in client.get("/").text
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    assert client.get(f"/instruments/{KEY}/trends").status_code == 302


def test_round_report_links_to_the_trends(client, round_ids, manager):
    report = client.get(f"/rounds/{round_ids[-1]}/report").text
    assert f'href="/instruments/{KEY}/trends"' in report


def test_view_is_cached_until_a_round_s_answers_change(app, client, round_ids, manager):
    def trends() -> list[object]:
        return [v for k, v in build.cache.items() if k[0] == "trend"]

    client.get(f"/instruments/{KEY}/trends")
    assert len(trends()) == 1
    first = trends()[0]
    client.get(f"/instruments/{KEY}/trends")
    assert trends() == [first]
    with app.app_context():
        bump_report_version(round_ids[0])
        db.session.commit()
    client.get(f"/instruments/{KEY}/trends")
    assert len(trends()) == 2


def test_a_round_the_analysis_refuses_gives_a_message_not_a_500(
    client, round_ids, manager, monkeypatch
):
    def refuse(rounds):
        raise AnalysisError("round 2 has an answer out of range")

    monkeypatch.setattr(reporting_trends, "instrument_trend", refuse)
    page = client.get(f"/instruments/{KEY}/trends")
    assert page.status_code == 200
    assert "The trend cannot be shown: round 2 has an answer out of range." in page.text
