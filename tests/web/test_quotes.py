# ruff: noqa: F811  (``round_id`` is test_reports' fixture, imported to be used as one)
"""A lead publishes a chosen comment as a quote: shown to managers only for groups the report
shows, with the edited words; never an unpublished comment; public only when ticked."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, PartnerType, PublishedQuote, Response, Round
from surveyapp.reporting import build
from surveyapp.services import rounds as round_svc
from surveyapp.services.dataprotection.erasure import erase_round
from tests.conftest import csrf_token_from
from tests.web.respond_helpers import make_open_link
from tests.web.test_report_exports import pdf_text
from tests.web.test_reports import round_id  # noqa: F401  (8 school, 7 police, 6 housing, 2 gp)

# One comment per group; school and police are shown in the report (8 and 7 people, minimum 5),
# housing (6, hidden to protect gp) and gp (2) are suppressed.
COMMENTS = {
    "school": ["Mrs Jones at Hill Primary made referrals easy", "SCHOOL-NEVER-PUBLISHED"],
    "police": ["POLICE-NEVER-PUBLISHED"],
    "housing": ["HOUSING-PUBLISHED-BUT-SUPPRESSED"],
    "gp": ["GP-NEVER-PUBLISHED"],
}
EDITED = "[Name] at [school] made referrals easy"
ORIGINAL = COMMENTS["school"][0]


@pytest.fixture
def commented(app, round_id):
    """Comments on some of the round's responses; returns {comment: response id}."""
    ids = {}
    with app.app_context():
        for slug, texts in COMMENTS.items():
            responses = db.session.scalars(
                sa.select(Response)
                .join(PartnerType)
                .where(Response.round_id == round_id, PartnerType.slug == slug)
                .order_by(Response.id)
            ).all()
            for response, text in zip(responses, texts, strict=False):
                response.comment = text
                ids[text] = response.id
        db.session.commit()
    return ids


def switch(client, login, user) -> None:
    """Log out whoever is signed in on ``client``, then sign ``user`` in (one client per test:
    the test client shares the request context's user between clients)."""
    logout(client)
    login(user)


def logout(client) -> None:
    token = csrf_token_from(client.get("/login", follow_redirects=True).text)
    client.post("/logout", data={"csrf_token": token})


def publish(client, round_id, response_id, text, public=False):
    url = f"/rounds/{round_id}/comments/{response_id}/quote"
    form = client.get(url)
    assert form.status_code == 200
    data = {"text": text, "csrf_token": csrf_token_from(form.text)}
    if public:
        data["public"] = "y"
    return client.post(url, data=data)


def every_output(manager, round_id, query="") -> dict[str, str]:
    """The report page and every download's text, as a manager gets them."""
    out = {"page": manager.get(f"/rounds/{round_id}/report{query}").text}
    for fmt in ("csv", "html"):
        out[fmt] = manager.get(f"/rounds/{round_id}/report.{fmt}{query}").get_data(as_text=True)
    book = load_workbook(io.BytesIO(manager.get(f"/rounds/{round_id}/report.xlsx{query}").data))
    out["xlsx"] = "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )
    for fmt in ("pdf", "summary-pdf"):
        out[fmt] = re.sub(
            r"\s+", " ", pdf_text(manager.get(f"/rounds/{round_id}/report.{fmt}{query}").data)
        )
    return out


def test_a_published_quote_reaches_managers_edited_and_nothing_unpublished_does(
    app, client, make_user, login, round_id, commented
):
    manager, lead = make_user("manager"), make_user("lead")
    login(lead)
    switch(client, login, manager)
    before = every_output(client, round_id)
    for text in before.values():
        assert "In their own words" not in text
        for comment in commented:
            assert comment not in text

    switch(client, login, lead)
    assert publish(client, round_id, commented[ORIGINAL], EDITED).status_code == 302
    assert (
        publish(client, round_id, commented["HOUSING-PUBLISHED-BUT-SUPPRESSED"], "HOUSING-Q")
    ).status_code == 302
    page = client.get(f"/rounds/{round_id}/comments")
    assert EDITED in page.text and "Withdraw" in page.text
    with app.app_context():
        # the comment itself is untouched
        assert db.session.get(Response, commented[ORIGINAL]).comment == ORIGINAL

    switch(client, login, manager)
    after = every_output(client, round_id)
    page_quotes = after["page"].split('id="h-quotes"')[1].split("</section>")[0]
    assert EDITED in page_quotes and '<p class="quote-source">School</p>' in page_quotes
    for fmt in ("page", "html", "pdf"):
        assert "In their own words" in after[fmt], fmt
        # brackets and quotes survive HTML escaping and PDF text as they are
        assert EDITED in after[fmt], fmt
    for fmt, text in after.items():
        assert ORIGINAL not in text, fmt  # only the edited words are published
        assert "HOUSING-Q" not in text, fmt  # housing is suppressed in the report
        for comment in commented:
            if comment != ORIGINAL:
                assert comment not in text, (fmt, comment)
    for fmt in ("csv", "xlsx"):  # the item tables carry no quotes at all
        assert EDITED not in after[fmt]

    # a view of one locality: school answered in North, so North shows it and South does not
    north = client.get(f"/rounds/{round_id}/report?filter=locality:North").text
    south = client.get(f"/rounds/{round_id}/report?filter=locality:South").text
    assert EDITED in north and EDITED not in south and "South" in south


def test_withdrawing_takes_the_quote_out_of_the_cached_report(
    app, client, make_user, login, round_id, commented
):
    manager, lead = make_user("manager"), make_user("lead")
    login(lead)
    publish(client, round_id, commented[ORIGINAL], EDITED)
    switch(client, login, manager)
    assert EDITED in client.get(f"/rounds/{round_id}/report").text
    switch(client, login, lead)
    with app.app_context():
        quote = db.session.scalar(sa.select(PublishedQuote))
        version = db.session.get(Round, round_id).data_version
        quote_id = quote.id
    page = client.get(f"/rounds/{round_id}/comments")
    resp = client.post(
        f"/rounds/{round_id}/quotes/{quote_id}/withdraw",
        data={"csrf_token": csrf_token_from(page.text)},
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Round, round_id).data_version == version + 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedQuote)) == 0
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("quote.%"))
        ).all()
    assert actions == ["quote.publish", "quote.withdraw"]
    switch(client, login, manager)
    html = client.get(f"/rounds/{round_id}/report").text
    assert EDITED not in html and "In their own words" not in html


def test_managers_cannot_publish_or_withdraw(app, client, make_user, login, round_id, commented):
    manager, lead = make_user("manager"), make_user("lead")
    login(lead)
    publish(client, round_id, commented[ORIGINAL], EDITED)
    with app.app_context():
        quote_id = db.session.scalar(sa.select(PublishedQuote.id))
    switch(client, login, manager)
    token = csrf_token_from(client.get("/login", follow_redirects=True).text)
    url = f"/rounds/{round_id}/comments/{commented['POLICE-NEVER-PUBLISHED']}/quote"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"text": "x", "csrf_token": token}).status_code == 403
    withdraw = f"/rounds/{round_id}/quotes/{quote_id}/withdraw"
    assert client.post(withdraw, data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedQuote)) == 1


def test_bad_input_gets_a_clear_message_not_a_500(
    app, client, make_user, login, round_id, commented, make_round
):
    login(make_user("lead"))
    empty = publish(client, round_id, commented[ORIGINAL], "   ")
    assert empty.status_code == 400 and "Enter the words to publish" in empty.text
    long = publish(client, round_id, commented[ORIGINAL], "x" * 1001)
    assert long.status_code == 400 and "1000 characters" in long.text
    # a comment of another round, a response without a comment, an unknown quote
    other = make_round("Other", partner_type_slugs=["school"])
    assert client.get(f"/rounds/{other}/comments/{commented[ORIGINAL]}/quote").status_code == 404
    with app.app_context():
        silent = db.session.scalar(
            sa.select(Response.id).where(Response.round_id == round_id, Response.comment.is_(None))
        )
    assert client.get(f"/rounds/{round_id}/comments/{silent}/quote").status_code == 404
    token = csrf_token_from(client.get(f"/rounds/{round_id}/comments").text)
    missing = client.post(f"/rounds/{round_id}/quotes/999999/withdraw", data={"csrf_token": token})
    assert missing.status_code == 302
    assert "no such published quote" in client.get(f"/rounds/{round_id}/comments").text
    # without the CSRF token nothing is published
    url = f"/rounds/{round_id}/comments/{commented[ORIGINAL]}/quote"
    assert client.post(url, data={"text": EDITED}).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedQuote)) == 0


def test_the_public_summary_shows_only_quotes_marked_public(
    app, client, make_user, login, round_id, commented
):
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        round_svc.open_round(round_)
        round_svc.close_round(round_)
        round_svc.publish_round(round_, "We will run joint training.")
        db.session.commit()
    slug = make_open_link(app, round_id)
    lead = make_user("lead")
    login(lead)
    publish(client, round_id, commented[ORIGINAL], EDITED)
    logout(client)
    summary = client.get(f"/results/{slug}")
    assert summary.status_code == 200 and EDITED not in summary.text
    login(lead)
    publish(client, round_id, commented[ORIGINAL], EDITED, public=True)
    logout(client)
    summary = client.get(f"/results/{slug}").text
    assert "In their own words" in summary and EDITED in summary
    assert ORIGINAL not in summary
    for comment in commented:
        assert comment not in summary
    build.clear_cache()  # and a fresh process agrees
    assert EDITED in client.get(f"/results/{slug}").text


def test_erasing_the_round_erases_its_quotes(app, client, make_user, login, round_id, commented):
    login(make_user("lead"))
    publish(client, round_id, commented[ORIGINAL], EDITED)
    with app.app_context():
        erase_round(db.session.get(Round, round_id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedQuote)) == 0
