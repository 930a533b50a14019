"""Issue 14: the report page and the HTML/PDF show each statement's mean (one decimal, half up),
the share at each answer level, and each partner type's change since the compared round, with
small groups suppressed as everywhere else. Expected figures are worked out here from the
test's own answers."""

from __future__ import annotations

import re

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from surveyapp.analysis.metrics import round_half_up
from surveyapp.reporting import build
from tests.web.test_report_exports import pdf_text
from tests.web.test_reports import ANSWERS, STATEMENT

# The earlier round's comm_partners answers: school 5 of 8 agree, police 1 of 7.
EARLIER = {
    "school": ("North", ["4", "4", "4", "4", "2", "2", "1", "5"]),
    "police": ("South", ["1", "1", "1", "2", "2", "2", "4"]),
    "housing": ("North", ["4", "4", "1", "2", "2", "DK"]),
    "gp": ("North", ["5", "1"]),
}


def load(runner, round_id: int, answers: dict, path) -> None:
    path.write_text(
        "partner_type,locality,comm_partners\n"
        + "".join(f"{pt},{loc},{v}\n" for pt, (loc, values) in answers.items() for v in values)
    )
    result = runner.invoke(args=["responses", "import", str(round_id), str(path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def compared(runner, make_round, tmp_path):
    """A round with the answers of tests/web/test_reports.py, compared with EARLIER."""
    build.clear_cache()
    common = dict(
        partner_type_slugs=list(ANSWERS), min_group_size=5, locality_names=["North", "South"]
    )
    earlier = make_round("Spring 2025", **common)
    load(runner, earlier, EARLIER, tmp_path / "earlier.csv")
    now = make_round("Spring 2026", compared_round_id=earlier, **common)
    load(runner, now, ANSWERS, tmp_path / "now.csv")
    return now


def rows_of(html: str, section: str) -> list[str]:
    """The body rows of the first table after ``section``, each read with its statement's
    heading in front (each statement is named once, above its partner types' rows)."""
    part = html.split(f'id="{section}"')[1].split("</table>")[0]
    rows = []
    for block in re.findall(r"<tbody[^>]*>(.*?)</tbody>", part, re.S):
        heading = re.search(r'<tr class="statement">(.*?)</tr>', block, re.S)
        rows += [
            re.sub(r"\s+", " ", (heading.group(1) if heading else "") + r)
            for r in re.findall(r'<tr(?! class="statement")[^>]*>(.*?)</tr>', block, re.S)
        ]
    return rows


def cells(row: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)', row)


def pct(k: int, n: int) -> str:
    return f"{round_half_up(100 * k / n):.0f}%"


def levels(values: list[str]) -> list[str]:
    valid = [int(v) for v in values if v != "DK"]
    shares = [pct(valid.count(level), len(valid)) for level in range(1, 6)]
    return [str(len(valid)), *shares, f"{round_half_up(sum(valid) / len(valid), 1):.1f}"]


def test_levels_mean_and_group_change_on_the_page(client, compared, make_user, login):
    login(make_user("manager"))
    html = client.get(f"/rounds/{compared}/report").text
    detail = rows_of(html, "h-detail")
    by_group = {
        re.search(r'<th scope="row">([^<]*)</th>', r).group(1): r for r in detail if STATEMENT in r
    }
    every = [v for _, values in ANSWERS.values() for v in values]
    # school 1,1,1,3,1 of 7 (mean 23/7 = 3.29 -> 3.3); police 2,2,1,1,1 of 7 (18/7 -> 2.6);
    # everyone 4,5,2,7,3 of 21 (63/21 = 3.0)
    assert cells(by_group["School"]) == ["7", "14%", "14%", "14%", "43%", "14%", "3.3"]
    assert cells(by_group["Police"]) == ["7", "29%", "29%", "14%", "14%", "14%", "2.6"]
    assert cells(by_group["All respondents"]) == ["21", "19%", "24%", "10%", "33%", "14%", "3.0"]
    assert cells(by_group["School"]) == levels(ANSWERS["school"][1])
    assert cells(by_group["All respondents"]) == levels(every)
    for name in ("Housing", "GP"):  # small (gp 2) or hidden to protect it (housing)
        assert cells(by_group[name]) == [] and "fewer than 5 or withheld" in by_group[name]
    # housing's own figures (2 and 3 of 5: 40%, 60%, mean 3.2) appear nowhere in the section
    section = html.split('id="h-detail"')[1].split("</section>")[0]
    for figure in ("40%", "60%", "3.2", "(n=5)", "(n=2)"):
        assert figure not in section

    change = {
        re.search(r'<th scope="row">([^<]*)</th>', r).group(1): r
        for r in rows_of(html, "h-group-change")
        if STATEMENT in r
    }
    assert "All respondents" not in change  # shown in its own table above
    for name, (k_now, n_now, k_then, n_then) in {
        "School": (4, 7, 5, 8),
        "Police": (2, 7, 1, 7),
    }.items():
        low, high = confint_proportions_2indep(
            k_now, n_now, k_then, n_then, method="newcomb", compare="diff"
        )
        diff = 100 * (k_now / n_now - k_then / n_then)

        def signed(x: float) -> str:
            rounded = round_half_up(x)
            return "0" if rounded == 0 else f"{rounded:+.0f}".replace("-", "−")

        assert [c.strip() for c in cells(change[name])] == [
            pct(k_then, n_then),
            pct(k_now, n_now),
            signed(diff),
            f"{signed(100 * low)} to {signed(100 * high)}",
        ], change[name]
    # school 62.5% -> 57.1%; police 14.3% -> 28.6%
    assert '63% <span class="n">(n=8)</span>' in change["School"]
    assert '29% <span class="n">(n=7)</span>' in change["Police"]
    for name in ("Housing", "GP"):
        assert "fewer than 5 or withheld" in change[name] and "%" not in change[name]


def test_the_offline_html_and_pdf_carry_the_same_tables(client, compared, make_user, login):
    login(make_user("manager"))
    html = client.get(f"/rounds/{compared}/report.html").text
    detail = [r for r in rows_of(html, "h-detail") if STATEMENT in r]
    page = [r for r in rows_of(client.get(f"/rounds/{compared}/report").text, "h-detail")]
    assert detail == [r for r in page if STATEMENT in r]
    assert "<caption>" in html.split('id="h-detail"')[1]
    # every partner type's change is in the offline page
    assert '63% <span class="n">(n=8)</span>' in html


def _pdf(client, round_id: int) -> str:
    return re.sub(r"\s+", " ", pdf_text(client.get(f"/rounds/{round_id}/report.pdf").data))


def test_the_pdf_shows_levels_for_all_respondents_and_only_clear_partner_changes(
    client, compared, make_user, login
):
    """The full PDF keeps "Each statement in detail" to what a board reads: the answers at each
    level for all respondents, and of the partner types' changes only the clear ones, saying
    how many there were and where every figure is (the web page version and the workbook)."""
    login(make_user("manager"))
    pdf = _pdf(client, compared)
    every = [v for _, values in ANSWERS.values() for v in values]
    assert "Each statement in detail" in pdf and "Mean (1–5)" in pdf
    assert " ".join(levels(every)) in pdf  # 21 19% 24% 10% 33% 14% 3.0
    assert " ".join(levels(ANSWERS["school"][1])[1:]) not in pdf  # school's own levels
    assert "web page version (HTML) and its Excel workbook" in pdf
    # school 62.5% -> 57.1% and police 14.3% -> 28.6% are compared, neither clearly changed;
    # housing and gp are suppressed, so not counted
    assert "None of the 2 changes by partner type and statement was clear." in pdf
    assert "63% (n=8)" not in pdf and "14% (n=7)" not in pdf


def test_the_pdf_lists_the_clear_partner_changes_it_is_given(
    client, compared, make_user, login, monkeypatch
):
    """The template shows exactly the rows clear_changes picks, and counts them in words."""
    from surveyapp.reporting import views

    def only_police(change):
        police = change.loc[(change["group_label"] == "Police") & (change["status"] == "compared")]
        return police, 2

    monkeypatch.setitem(views.HELPERS, "clear_changes", only_police)
    login(make_user("manager"))
    pdf = _pdf(client, compared)
    assert (
        "1 of the 2 changes by partner type and statement was clear, listed below; "
        "the other 1 showed no clear change." in pdf
    )
    assert "Police 14% (n=7) 29% (n=7) +14" in pdf  # 1 of 7 then, 2 of 7 now
    assert "63% (n=8)" not in pdf


def test_clear_changes_are_the_compared_rows_read_as_improved_or_worsened():
    import pandas as pd

    from surveyapp.reporting.views import clear_changes

    change = pd.DataFrame(
        {
            "group_label": ["A", "B", "C", "D", "E"],
            "status": ["compared", "compared", "compared", "suppressed", "new"],
            "change": ["improved", "no clear change", "worsened", "suppressed", "new"],
        }
    )
    clear, compared = clear_changes(change)
    assert list(clear["group_label"]) == ["A", "C"] and compared == 3
