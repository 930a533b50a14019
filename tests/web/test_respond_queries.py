"""The answering path stays lean: the one-page form is found and shown with one SQL statement for
an invitation (two for an open link that asks the partner type), and so is the thank-you page;
the open-link lookup takes the link or its slug."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import OpenLink
from surveyapp.services import submissions as svc
from tests.web.respond_helpers import PAGES, answer_all, make_invitation, make_open_link


def _statements(app, fetch) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        fetch()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_the_form_costs_one_or_two_statements(app, client, make_round):
    round_id = make_round(open_=True, locality_names=["North", "South"])
    token = make_invitation(app, round_id)
    slug = make_open_link(app, round_id)
    for url, count in ((f"/s/{token}", 1), (f"/o/{slug}", 2)):
        assert client.get(url).status_code == 200  # first visit sets the cookies
        resp = []
        statements = _statements(app, lambda url=url, resp=resp: resp.append(client.get(url)))
        assert resp[0].status_code == 200
        assert len(statements) == count, statements


def test_open_link_found_by_link_or_slug(app, make_round):
    round_id = make_round(open_=True)
    slug = make_open_link(app, round_id, partner_type="school")
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink).where(OpenLink.slug == slug))
        by_link = svc.for_open_link(link, "k" * 32)
        by_slug = svc.for_open_link(slug, "k" * 32)
        assert by_link.draft_key == by_slug.draft_key == svc.sha256("draft:open:" + "k" * 32)
        assert by_link.fixed_partner_type.slug == by_slug.fixed_partner_type.slug == "school"
        assert [s.title for s in svc.steps(by_slug)][:2] == [
            "About you",
            "Communication between partners",
        ]


def test_thank_you_page_costs_one_statement(app, client, make_round):
    token = make_invitation(app, make_round(open_=True))
    values = {item: "4" for page in PAGES for item in page}
    resp = answer_all(client, f"/s/{token}", values, {"role_level": "manager"})
    done = []
    statements = _statements(app, lambda: done.append(client.get(resp.headers["Location"])))
    assert done[0].status_code == 200 and "Thank you" in done[0].text
    assert len(statements) == 1, statements
