"""The report page's rendered body is cached (reporting.views.page_body): a hit is exactly what a
fresh render gives, and anything that changes what the page shows changes the page."""

import re

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting import build
from surveyapp.services.invitations import add_invitations
from surveyapp.services.report_version import bump_report_version
from tests.conftest import csrf_token_from
from tests.web.test_reports import manager, round_id  # noqa: F401 (fixtures)


def invite(rid: int, partner_type: str, count: int) -> None:
    """Add ``count`` invitations of ``partner_type`` to the round (in an app context)."""
    rows = "".join(f"{partner_type}{k}@example.org,{partner_type}\n" for k in range(count))
    add_invitations(
        db.session.get(Round, rid), b"email,partner_type\n" + rows.encode(), "invitations.csv"
    )
    db.session.commit()


def page(client, rid: int, query: str = "") -> str:
    answer = client.get(f"/rounds/{rid}/report{query}")
    assert answer.status_code in (200, 400), answer.status_code
    # a form token may differ between two requests; nothing else may
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", answer.text)


def bodies() -> int:
    return len([k for k in build.cache if k[0] == "body"])


def picture(html: str) -> str:
    return html.split('id="h-picture"')[1].split("</section>")[0]


def test_a_cached_page_is_the_page_a_fresh_render_gives(client, round_id, manager):  # noqa: F811
    for query in ("", "?filter=locality:North"):
        build.clear_cache()
        fresh = page(client, round_id, query)
        assert bodies() == 1
        assert page(client, round_id, query) == fresh  # the body from the cache
        assert bodies() == 1
        build.clear_cache()
        assert page(client, round_id, query) == fresh  # built again from nothing


def test_a_submit_or_a_bump_changes_the_cached_page(
    app,
    runner,
    client,
    round_id,  # noqa: F811
    manager,  # noqa: F811
    tmp_path,
):
    before = page(client, round_id)
    assert page(client, round_id) == before
    assert '<td class="num">23</td>' in picture(before)  # all partners: 8 + 7 + 6 + 2

    source = tmp_path / "more.csv"
    source.write_text("partner_type,locality,comm_partners\n" + "school,North,4\n" * 3)
    result = runner.invoke(args=["responses", "import", str(round_id), str(source)])
    assert result.exit_code == 0, result.output
    after = page(client, round_id)
    assert after != before
    assert '<td class="num">26</td>' in picture(after)

    with app.app_context():
        bump_report_version(round_id)
        db.session.commit()
    count = bodies()
    assert page(client, round_id) == after  # the same data, rendered again for the new version
    assert bodies() == count + 1


def test_new_invitations_show_on_a_cached_page_without_a_version_bump(
    app,
    client,
    round_id,  # noqa: F811
    manager,  # noqa: F811
):
    before = page(client, round_id)
    with app.app_context():
        version = db.session.get(Round, round_id).data_version
        invite(round_id, "school", 10)
        assert db.session.get(Round, round_id).data_version == version
    after = page(client, round_id)
    school = re.search(r"<th scope=\"row\">School</th>(.*?)</tr>", picture(after), re.S)
    assert school is not None
    assert re.findall(r'<td class="num">([^<]*)', school.group(1)) == ["8", "10", "0%"]
    assert after != before


def test_the_filter_menu_and_its_error_are_not_cached_with_the_body(
    client,
    round_id,  # noqa: F811
    manager,  # noqa: F811
):
    plain = page(client, round_id)
    wrong = page(client, round_id, "?filter=locality:Nowhere")
    assert 'id="filter-error"' in wrong  # in the controls, inside the body
    assert 'id="filter-error"' not in plain
    assert page(client, round_id) == plain
    north = page(client, round_id, "?filter=locality:North")
    assert '<option value="locality:North" selected>' in north
    assert '<option value="locality:North" selected>' not in page(client, round_id)


def test_the_back_link_follows_the_reader_s_role_on_a_cached_body(
    client,
    make_user,
    login,
    round_id,  # noqa: F811
):
    login(make_user("manager"))
    answer = client.get(f"/rounds/{round_id}/report")
    as_manager = page(client, round_id)
    client.post("/logout", data={"csrf_token": csrf_token_from(answer.text)})
    login(make_user("lead"))
    as_lead = page(client, round_id)
    assert f'href="/rounds/{round_id}/status"' in as_manager
    assert f'href="/rounds/{round_id}"' in as_lead
    assert bodies() == 1


def exports() -> int:
    return len([k for k in build.cache if k[0] == "export"])


def test_a_cached_download_changes_after_a_submit_or_new_invitations(
    app,
    runner,
    client,
    round_id,  # noqa: F811
    manager,  # noqa: F811
    tmp_path,
):
    def download(fmt: str = "html") -> bytes:
        answer = client.get(f"/rounds/{round_id}/report.{fmt}")
        assert answer.status_code == 200
        return answer.data

    first = download()
    assert exports() == 1
    assert download() == first  # from the cache
    assert exports() == 1
    build.clear_cache()
    assert download() == first  # the same bytes made afresh

    with app.app_context():
        invite(round_id, "police", 4)
    invited = download()
    assert invited != first
    police = re.search(r'<th scope="row">Police</th>(.*?)</tr>', invited.decode(), re.S)
    assert police is not None
    assert re.findall(r'<td class="num">([^<]*)', police.group(1)) == ["7", "4", "0%"]

    source = tmp_path / "more.csv"
    source.write_text("partner_type,locality,comm_partners\n" + "police,South,4\n" * 2)
    result = runner.invoke(args=["responses", "import", str(round_id), str(source)])
    assert result.exit_code == 0, result.output
    submitted = download()
    police = re.search(r'<th scope="row">Police</th>(.*?)</tr>', submitted.decode(), re.S)
    assert police is not None
    assert re.findall(r'<td class="num">([^<]*)', police.group(1))[0] == "9"

    csv = download("csv")
    assert download("csv") == csv
    assert exports() == 4  # html three times over (first, invited, submitted), csv once
