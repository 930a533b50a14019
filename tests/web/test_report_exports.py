"""Report downloads (CSV, XLSX, HTML, PDF): the page's figures, the page's group, suppression
everywhere (text, alt text and chart SVG), roles and clear refusals.

A PDF render takes a second or two, so each test fetches every format once and checks it all.
"""

import base64
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from surveyapp.reporting.exports import FORMATS
from surveyapp.web.reports import routes
from tests.web import test_reports as page_tests
from tests.web.test_reports import STATEMENT, nums, row, visible, wilson

#: The round with hand-worked answers, and a logged-in manager, as in the page's tests.
round_id = page_tests.round_id
manager = page_tests.manager

SUPPRESSED = "fewer than 5 or withheld"
MIME = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The hand-worked rows of test_reports (comm_partners): n, % disagree, % neither, % agree,
# Wilson 95% interval of % agree, % don't know.
WHOLE = {
    "School": ["7", "29%", "14%", "57%", wilson(4, 7), "13%"],
    "Police": ["7", "57%", "14%", "29%", wilson(2, 7), "0%"],
    "All respondents": ["21", "43%", "10%", "48%", wilson(10, 21), "9%"],
}
NORTH = {"All respondents": ["14", "36%", "7%", "57%", wilson(8, 14), "13%"]}
# Figures of the small groups, worked out by hand: housing 3 of 5 agree (60%), 2 disagree
# (40%), 1 of 6 don't know (16.7%); gp 1 of 2 (50%). None may appear in any export.
HIDDEN_FIGURES = ("60%", "40%", "17%", "(n=5)", "(n=2)", wilson(3, 5), wilson(1, 2))


def fetch(client, round_id, fmt, query=""):
    response = client.get(f"/rounds/{round_id}/report.{fmt}{query}")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == MIME[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(f".{fmt}"), disposition
    return response


def charts_text(html: str) -> str:
    """Every chart's SVG (decoded from its data: URI) and alt text."""
    svgs = [
        base64.b64decode(b).decode()
        for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]*)"', html)
    ]
    return "\n".join(svgs + re.findall(r'alt="([^"]*)"', html))


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def csv_rows(content: bytes) -> dict:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8")))
    return {(r["partner_type"], r["item_id"]): r for r in reader}


def test_every_download_shows_the_page_figures_and_no_small_group(app, client, round_id, manager):
    page = client.get(f"/rounds/{round_id}/report")
    for fmt in FORMATS:
        assert f'href="/rounds/{round_id}/report.{fmt}"' in page.text
    html_file = fetch(client, round_id, "html")
    pdf_file = fetch(client, round_id, "pdf")
    csv_file = fetch(client, round_id, "csv")
    xlsx_file = fetch(client, round_id, "xlsx")
    assert re.search(
        rf"filename=gap-report-{round_id}-[a-z0-9-]+\.pdf$", pdf_file.headers["Content-Disposition"]
    )

    # the page and the HTML export: the same hand-worked rows
    page_html, export_html = visible(page.text), visible(html_file.text)
    for name, figures in WHOLE.items():
        label = f'<th scope="row">{name}</th>' if name != "All respondents" else name + "</th>"
        assert nums(row(page_html, STATEMENT, label)) == figures
        assert nums(row(export_html, STATEMENT, label)) == figures
    # self-contained: styles inline, charts as data: URIs, no script, no staff controls
    export = html_file.text
    assert "<style>" in export and "<link" not in export and "<script" not in export
    assert not re.search(r'(src|href)="(?!data:)', export) and "url(" not in export
    assert "Show one group only" not in export and "Log out" not in export
    # the tables folded away on the page are open in the file: eight under the charts, and
    # six of "Each statement in detail" (one per domain)
    assert export.count("<details open>") == 8 + 6 and "<details open>" not in page.text
    # heatmap, six domains and one contrast (no compared round): as on the page
    chart = '<img src="data:image/svg+xml;base64,'
    assert export.count(chart) == page.text.count(chart) == 8
    assert "One group only" not in export and "All respondents" in export

    # the PDF: A4 pages whose text holds the same rows, the title and page numbers
    reader = PdfReader(io.BytesIO(pdf_file.data))
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {
        (595, 842)
    }
    text = flat(pdf_text(pdf_file.data))
    for name, figures in WHOLE.items():
        assert f"{name} {' '.join(figures)}" in text, name
    assert (
        f"Page 1 of {len(reader.pages)}" in text
        and "Appendix: how these figures are worked out" in text
    )

    # the CSV and the workbook: the same figures to one decimal
    school = csv_rows(csv_file.data)["school", "comm_partners"]
    assert (school["n_valid"], school["pct_positive"], school["pct_negative"]) == (
        "7",
        "57.1",
        "28.6",
    )
    sheet = load_workbook(io.BytesIO(xlsx_file.data))["Item table"]
    table = list(sheet.iter_rows(min_row=3, values_only=True))
    by_key = {(r[1], r[2]): dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert by_key["school", "comm_partners"]["n_valid"] == 7
    assert round(by_key["school", "comm_partners"]["pct_positive"] * 100, 1) == 57.1

    # housing (5 valid) and gp (2) are suppressed in every output: no figure, n or interval
    for name in ("Housing", "GP"):
        assert SUPPRESSED in row(export_html, STATEMENT, f'<th scope="row">{name}</th>')
        assert f"{name} {SUPPRESSED}" in text
        assert f"{name} (n=" not in charts_text(export)
        assert f"{name} (n=" not in text
    for figure in HIDDEN_FIGURES:
        assert figure not in export_html and figure not in text, figure
        assert figure not in charts_text(export), figure
    for key in (("housing", "comm_partners"), ("gp", "comm_partners")):
        assert csv_rows(csv_file.data)[key]["pct_positive"] == ""
        assert by_key[key]["pct_positive"] is None and by_key[key]["n_valid"] is None


def test_a_filtered_page_downloads_that_group(client, round_id, manager):
    page = client.get(f"/rounds/{round_id}/report?filter=locality:North")
    assert f'href="/rounds/{round_id}/report.pdf?filter=locality:North"' in page.text
    assert "Download this view (Locality: North)" in page.text
    query = "?filter=locality:North"
    html_file = fetch(client, round_id, "html", query)
    assert "-locality-north.html" in html_file.headers["Content-Disposition"]
    export = visible(html_file.text)
    assert "One group only: Locality: North" in export
    # North: school 8, housing 6 and gp 2, so all = 14 valid; housing and gp are suppressed
    assert nums(row(export, STATEMENT, "All respondents</th>")) == NORTH["All respondents"]
    assert SUPPRESSED in row(export, STATEMENT, '<th scope="row">Housing</th>')
    assert wilson(3, 5) not in export and wilson(3, 5) not in charts_text(html_file.text)
    rows = csv_rows(fetch(client, round_id, "csv", query).data)
    assert (
        rows["all", "comm_partners"]["n_valid"],
        rows["all", "comm_partners"]["pct_positive"],
    ) == ("14", "57.1")
    assert rows["housing", "comm_partners"]["suppressed"] == "true"
    book = load_workbook(io.BytesIO(fetch(client, round_id, "xlsx", query).data))
    assert "One group only: Locality: North" in book["Findings"]["A1"].value
    text = flat(pdf_text(fetch(client, round_id, "pdf", query).data))
    assert "One group only: Locality: North" in text
    assert f"All respondents {' '.join(NORTH['All respondents'])}" in text
    assert f"Housing {SUPPRESSED}" in text and wilson(3, 5) not in text


@pytest.mark.parametrize(
    "query",
    [
        "?filter=locality:Nowhere",
        "?filter=locality",
        "?filter=locality:North,role_level:manager",
        "?filter=gender:female",
    ],
)
def test_a_group_not_on_the_list_is_refused(client, round_id, manager, query):
    response = client.get(f"/rounds/{round_id}/report.csv{query}")
    assert response.status_code == 400
    assert "choose a group from" in response.text and "Content-Disposition" not in response.headers


def test_unknown_format_or_round_is_not_found(client, round_id, manager):
    assert client.get(f"/rounds/{round_id}/report.docx").status_code == 404
    assert client.get(f"/rounds/{round_id + 99}/report.csv").status_code == 404


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_anonymous_visitors_go_to_log_in(client, round_id, fmt):
    response = client.get(f"/rounds/{round_id}/report.{fmt}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["manager", "lead", "admin"])
def test_every_role_that_reads_reports_downloads(client, round_id, make_user, login, role):
    login(make_user(role))
    assert fetch(client, round_id, "csv").data.startswith(b"round_id,partner_type")


def test_downloads_admit_exactly_the_report_readers():
    # every staff role reads reports, so no account can be refused; the rule is what matters
    assert (
        routes.download.required_roles == routes.show.required_roles == ("admin", "lead", "manager")
    )


def test_board_summary_is_two_a4_pages_of_headlines_rates_heatmap_and_next_steps(
    app, client, round_id, manager
):
    response = client.get(f"/rounds/{round_id}/report.summary-pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert re.search(
        rf"filename=board-summary-{round_id}-[a-z0-9-]+\.pdf$",
        response.headers["Content-Disposition"],
    )
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    first, second = (flat(page.extract_text()) for page in reader.pages)
    assert "The three biggest gaps" in first and "Who answered" in first
    assert "Gaps by partner type and area" in second and "What to do next" in second
    # only one of the three communication statements was answered, so the heatmap hides
    # every communication cell, and no gap is quoted from a hidden cell
    assert "Every group is too small to report." in first
    assert "Too few answers to suggest where to start" in second
    # the heatmap has its figures beside it, as a table in its shape: a row per partner type
    # anyone answered as, every hidden cell saying so
    assert "Partner type" in second and "Communication between partners" in second
    for name in ("All respondents", "School", "Police", "Housing", "GP"):
        assert name in second
    assert second.count("fewer than 5 or withheld") >= 5
    # staff controls and the methods appendix belong to the full report only
    assert "Show one group only" not in first + second and "Appendix" not in first + second
