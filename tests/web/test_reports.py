"""The gap report page: the engine's figures, suppression, roles and the one-at-a-time filter."""

import re

import pytest
from statsmodels.stats.proportion import proportion_confint

from surveyapp.analysis.metrics import round_half_up
from surveyapp.extensions import db
from surveyapp.reporting import build
from surveyapp.reporting.build import round_report
from surveyapp.services.report_version import bump_report_version

# comm_partners answers per partner type, with locality; 8 + 7 + 6 + 2 respondents
ANSWERS = {
    "school": ("North", ["5", "4", "4", "3", "2", "1", "DK", "4"]),
    "police": ("South", ["1", "1", "2", "2", "3", "4", "5"]),
    "housing": ("North", ["4", "4", "4", "2", "2", "DK"]),
    # gp in North, not South: South minus police would otherwise be gp's two answers
    "gp": ("North", ["5", "1"]),
}
STATEMENT = "There is good communication between partners about children receiving early help"


@pytest.fixture
def round_id(app, runner, make_round, tmp_path):
    build.clear_cache()
    rid = make_round(
        partner_type_slugs=list(ANSWERS), min_group_size=5, locality_names=["North", "South"]
    )
    source = tmp_path / "answers.csv"
    source.write_text(
        "partner_type,locality,comm_partners\n"
        + "".join(f"{pt},{loc},{v}\n" for pt, (loc, values) in ANSWERS.items() for v in values)
    )
    result = runner.invoke(args=["responses", "import", str(rid), str(source)])
    assert result.exit_code == 0, result.output
    return rid


def visible(html: str) -> str:
    """The page without its chart images (which are tested in tests/analysis)."""
    return re.sub(r'src="data:image/svg\+xml;base64,[^"]*"', 'src=""', html)


def table_rows(html: str) -> list[str]:
    """Every plain table row; a row under a statement's heading (the long tables show each
    statement once, above its partner types' rows) is read with that heading in front."""
    rows = []
    for block in re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, re.S):
        heading = re.search(r'<tr class="statement">(.*?)</tr>', block, re.S)
        rows += [
            (heading.group(1) if heading else "") + r
            for r in re.findall(r"<tr>(.*?)</tr>", block, re.S)
        ]
    return rows


def row(html: str, *cells: str) -> str:
    """The one table row holding every one of ``cells``."""
    rows = [r for r in table_rows(html) if all(c in r for c in cells)]
    assert len(rows) == 1, (cells, rows)
    return re.sub(r"\s+", " ", rows[0])


def nums(html_row: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)', html_row)


def wilson(k: int, n: int) -> str:
    low, high = proportion_confint(k, n, method="wilson")
    return f"{round_half_up(100 * low):.0f}–{round_half_up(100 * high):.0f}%"


@pytest.fixture
def manager(make_user, login):
    login(make_user("manager"))


def test_page_shows_the_engine_figures_worked_out_by_hand(app, client, round_id, manager):
    page = client.get(f"/rounds/{round_id}/report")
    assert page.status_code == 200
    html = visible(page.text)
    # school: 7 valid, 2 disagree (28.6%), 1 neither (14.3%), 4 agree (57.1%), 1 of 8 don't know
    assert nums(row(html, STATEMENT, '<th scope="row">School</th>')) == [
        "7",
        "29%",
        "14%",
        "57%",
        wilson(4, 7),
        "13%",
    ]
    # police: 4 disagree, 1 neither, 2 agree of 7
    assert nums(row(html, STATEMENT, '<th scope="row">Police</th>')) == [
        "7",
        "57%",
        "14%",
        "29%",
        wilson(2, 7),
        "0%",
    ]
    # all 23: 21 valid, 9 disagree (42.9%), 2 neither, 10 agree (47.6%), 2 of 23 don't know
    assert nums(row(html, STATEMENT, "All respondents</th>")) == [
        "21",
        "43%",
        "10%",
        "48%",
        wilson(10, 21),
        "9%",
    ]
    # the same figures as the engine, and its biggest gaps in its words
    with app.app_context():
        report = round_report(round_id)
    # a domain gap needs every item of the domain shown; the other communication items have
    # no answers, so the engine hides every communication cell and the page shows the label
    assert report.domains.loc[report.domains["domain"] == "communication", "suppressed"].all()
    heatmap = html.split('id="h-heatmap"')[1].split("</table>")[0]
    areas = re.findall(r'<th scope="col" class="num">([^<]*)</th>', heatmap)
    assert areas[0] == "People" and areas[1] == "Communication between partners"
    for name in ("All respondents", "School", "Police"):
        cells = re.findall(
            r'<td class="num">(.*?)</td>', row(heatmap, f'<th scope="row">{name}</th>')
        )
        assert len(cells) == len(areas) and cells[0].isdigit()  # people, then each area
        assert "fewer than 5 or withheld" in cells[1]
    for text in report.findings.loc[report.findings["kind"] == "gap", "text"].head(5):
        assert text.replace("'", "&#39;") in html
    picture = html.split('id="h-picture"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">([^<]*)</th><td class="num">([^<]*)', picture) == [
        ("All respondents", "23"),
        ("School", "8"),
        ("Police", "7"),
        ("Housing", "fewer than 5 or withheld"),
        ("GP", "fewer than 5 or withheld"),
    ]
    assert 'alt="Heatmap of the gap' in page.text and "Cronbach" in html


def test_suppressed_groups_figures_never_appear(client, round_id, manager):
    html = visible(client.get(f"/rounds/{round_id}/report").text)
    for name in ("Housing", "GP"):
        assert "fewer than 5 or withheld" in row(html, STATEMENT, f'<th scope="row">{name}</th>')
    # housing: 3 of 5 agree (60%), 2 disagree (40%), n 5, 1 of 6 don't know (16.7%);
    # gp: 1 of 2 (50%). None of these figures is on the page.
    for figure in ("60%", "40%", "17%", "50%", "(n=5)", "(n=2)", wilson(3, 5), wilson(1, 2)):
        assert figure not in html


@pytest.mark.parametrize("role", ["manager", "lead", "admin"])
def test_staff_who_read_reports_get_in(client, round_id, make_user, login, role):
    login(make_user(role))
    assert client.get(f"/rounds/{round_id}/report").status_code == 200


def test_anonymous_visitors_go_to_login(client, round_id):
    anonymous = client.get(f"/rounds/{round_id}/report")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_unknown_round_is_404(client, round_id, manager):
    assert client.get(f"/rounds/{round_id + 99}/report").status_code == 404


def test_filter_rebuilds_the_report_and_small_groups_show_suppressed(client, round_id, manager):
    page = client.get(f"/rounds/{round_id}/report?filter=locality:North")
    assert page.status_code == 200
    html = visible(page.text)
    assert "Showing one group only: Locality: North." in html
    assert '<option value="locality:North" selected>' in html
    # North holds school (8), housing (6) and gp (2): 14 valid, 5 disagree, 1 neither,
    # 8 agree, 2 of 16 don't know
    assert nums(row(html, STATEMENT, "All respondents</th>")) == [
        "14",
        "36%",
        "7%",
        "57%",
        wilson(8, 14),
        "13%",
    ]
    # within the view, school shows the same figures as in the whole round (the same
    # people); housing and gp are suppressed
    assert nums(row(html, STATEMENT, '<th scope="row">School</th>'))[0] == "7"
    for name in ("Housing", "GP"):
        assert "fewer than 5 or withheld" in row(html, STATEMENT, f'<th scope="row">{name}</th>')
    south = visible(client.get(f"/rounds/{round_id}/report?filter=locality:South").text)
    # South: police 7 only; nobody there answered as GP, which is named once, never a row
    assert not re.findall(r'<th scope="row">GP</th>', south)
    assert re.search(r"Nobody answered as: [^.]*\bGP\b", south)
    assert "50%" not in south


def test_two_filters_or_an_unknown_group_are_refused(client, round_id, manager):
    page = client.get(f"/rounds/{round_id}/report?filter=locality:Nowhere")
    assert page.status_code == 400 and "Choose a group from the list" in page.text
    assert "All respondents." in page.text


def test_charts_are_cached_per_round_data_version_and_filter(app, client, round_id, manager):
    client.get(f"/rounds/{round_id}/report")
    client.get(f"/rounds/{round_id}/report?filter=locality:North")
    client.get(f"/rounds/{round_id}/report")
    assert len([k for k in build.cache if k[0] == "view"]) == 2
    with app.app_context():
        bump_report_version(round_id)
        db.session.commit()
    client.get(f"/rounds/{round_id}/report")
    assert len([k for k in build.cache if k[0] == "view"]) == 3


def test_a_round_without_answers_lists_the_empty_groups_once(client, make_round, manager):
    build.clear_cache()
    rid = make_round(open_=True, partner_type_slugs=["school", "police"], min_group_size=5)
    page = client.get(f"/rounds/{rid}/report")
    assert page.status_code == 200
    assert "Every group is too small to report." in page.text
    picture = page.text.split('id="h-picture"')[1].split("</section>")[0]
    # all partners suppressed; the partner types nobody answered as listed once, not as rows
    assert picture.count("fewer than 5 or withheld") == 1
    assert "Nobody answered as: School, Police." in picture


def test_long_tables_name_each_statement_once_above_its_rows(client, round_id, manager):
    html = visible(client.get(f"/rounds/{round_id}/report").text)
    # the answers table beside the domain chart and the answers at each level: one heading
    # each, spanning the table, marking the group of rows below it
    headings = re.findall(r'<th colspan="(\d+)" scope="rowgroup">([^<]*)</th>', html)
    assert [int(span) for span, text in headings if text.startswith(STATEMENT)] == [7, 8]
    assert f"<td>{STATEMENT}" not in html
    # every group of rows under a heading is one tbody, so a printed page never splits a
    # statement from its rows (report.css: tbody.statement)
    for block in re.findall(r'<tbody class="statement">(.*?)</tbody>', html, re.S):
        assert block.lstrip().startswith('<tr class="statement">')
        assert block.count('scope="rowgroup"') == 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-0.4, "0"), (0.4, "0"), (-0.0, "0"), (0.5, "+1"), (-0.5, "−1"), (12.5, "+13"), (None, "–")],
)
def test_signed_points_never_show_a_signed_zero(value, shown):
    from surveyapp.reporting.views import signed

    assert signed(value) == shown


@pytest.mark.parametrize(
    ("low", "high", "shown"),
    [
        # a clear fall whose range would round to "−1 to 0" (100,000-response demo, thr_step)
        (-1.211143, -0.299102, "−1.2 to −0.3"),
        (0.04, 0.9, "+0.04 to +0.90"),  # one decimal would still show 0.0
        (-3.1, 1.2, "−3 to +1"),  # takes in 0: whole points
        (2.6, 7.4, "+3 to +7"),
        (-0.4, 0.4, "0 to 0"),
        (None, 1.0, "–"),
    ],
)
def test_a_range_that_excludes_no_change_never_reads_as_including_it(low, high, shown):
    from surveyapp.reporting.views import signed_range

    assert signed_range(low, high) == shown


@pytest.mark.parametrize(
    ("low", "high", "shown"),
    [(57.62, 58.31, "57.6–58.3%"), (39.4, 44.6, "39–45%"), (50.0, 50.0, "50–50%"), (1, None, "–")],
)
def test_a_narrow_percentage_range_keeps_a_decimal(low, high, shown):
    from surveyapp.reporting.views import pct_range

    assert pct_range(low, high) == shown
