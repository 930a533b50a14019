"""The answering path stays lean: the one-page form is found and shown with one SQL statement,
for an invitation and for an open link that asks the partner type, and so is the thank-you
page; the open-link lookup takes the link or its slug."""

from __future__ import annotations

import re

import flask
import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import OpenLink
from surveyapp.services import submissions as svc
from tests.conftest import PG_URL
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


def test_the_form_costs_one_statement(app, client, make_round):
    round_id = make_round(open_=True, locality_names=["North", "South"])
    token = make_invitation(app, round_id)
    slug = make_open_link(app, round_id)
    for url, count in ((f"/s/{token}", 1), (f"/o/{slug}", 1)):
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


def test_the_form_reads_every_change_at_once(app, client, make_round):
    """The round's settings and lists are cached per process under the values read, so an
    edit shows on the next page load: a renamed partner type, a retired one, a new title,
    a closed round."""
    from surveyapp.models import PartnerType, Round

    round_id = make_round(open_=True, locality_names=["North", "South"])
    slug = make_open_link(app, round_id)
    page = client.get(f"/o/{slug}").text
    with app.app_context():
        labels = dict(db.session.execute(sa.select(PartnerType.slug, PartnerType.label)).all())

    def offered(label: str) -> bool:
        return f"> {label}</label>" in page

    assert "Spring round" in page and offered(labels["police"]) and offered(labels["school"])
    with app.app_context():
        police = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == "police"))
        police.label = "Constabulary officers"
        school = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == "school"))
        school.active = False
        db.session.get(Round, round_id).title = "Autumn round"
        db.session.commit()
    page = client.get(f"/o/{slug}").text
    assert offered("Constabulary officers") and not offered(labels["police"])
    assert not offered(labels["school"])
    assert "Autumn round" in page and "Spring round" not in page
    with app.app_context():
        db.session.get(Round, round_id).status = "closed"
        db.session.commit()
    assert client.get(f"/o/{slug}").status_code == 410


def test_the_blank_form_is_drawn_once_and_filled_in_per_person(app, make_round, monkeypatch):
    """A newcomer's form is drawn once per round and kind of link; each person still gets
    their own CSRF token and link, and a form with saved answers is drawn afresh."""
    from surveyapp.web.respond import routes

    round_id = make_round(open_=True)
    tokens = [make_invitation(app, round_id, email=f"b{n}@example.org") for n in range(2)]
    slug = make_open_link(app, round_id)
    drawn: list[str] = []
    form_html = routes._form_html
    monkeypatch.setattr(routes, "_form_html", lambda *a: drawn.append(a[3]) or form_html(*a))
    routes._BLANK_FORMS.clear()
    pages = {}
    for path in (f"/s/{tokens[0]}", f"/s/{tokens[1]}", f"/o/{slug}", f"/o/{slug}"):
        client = app.test_client()
        pages[path + str(len(pages))] = (path, client.get(path).text)
    assert len(drawn) == 2  # one invitation form, one open-link form
    csrf = {re.search(r'name="csrf_token" value="([^"]+)"', t).group(1) for _, t in pages.values()}
    assert len(csrf) == 4 and "\x00" not in "".join(t for _, t in pages.values())
    for path, text in pages.values():
        assert f'action="{path}"' in text and f'data-draft="{path}/draft"' in text
        assert ("Your invitation only records" in text) == path.startswith("/s/")
    client = app.test_client()
    page = client.get(f"/s/{tokens[0]}").text
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        f"/s/{tokens[0]}",
        data={"csrf_token": csrf_token, "action": "save", "comm_partners": "2"},
    )
    page = client.get(f"/s/{tokens[0]}").text
    # the blank form came from the cache; the restored one is drawn afresh, for this link
    assert drawn[2:] == [f"/s/{tokens[0]}"]
    assert 'name="comm_partners" value="2" checked' in page


@pytest.mark.skipif(not PG_URL, reason="prepared statements on the PostgreSQL connection")
def test_respondent_lookups_stay_prepared_on_postgresql(app, client, make_round):
    """A respondent GET reads outside a transaction, so the teardown's ROLLBACK (after which
    psycopg forgets what it prepared) has nothing to end: repeated lookups on a pooled
    connection are prepared once and kept, so PostgreSQL does not parse and plan them on
    every request."""
    slug = make_open_link(app, make_round(open_=True))
    for _ in range(8):
        assert client.get(f"/o/{slug}").status_code == 200
    with app.app_context():
        prepared = db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements"))
        assert any("FROM open_links" in statement for statement in prepared)


@pytest.mark.skipif(not PG_URL, reason="the connection's transaction status is PostgreSQL's")
def test_respondent_pages_read_without_begin_or_commit(app, client, make_round):
    """The form and thank-you pages only read: no transaction is open on the connection after
    their statements (no BEGIN before them, no COMMIT after), while a submit's writes are in
    one."""
    from psycopg.pq import TransactionStatus

    token = make_invitation(app, make_round(open_=True))
    values = {item: "4" for page in PAGES for item in page}
    status: dict[str, list[object]] = {"GET": [], "POST": []}

    def record(conn, _cursor, _statement, *_args) -> None:
        method = flask.request.method if flask.has_request_context() else "other"
        status.setdefault(method, []).append(
            conn.connection.dbapi_connection.info.transaction_status
        )

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "after_cursor_execute", record)
    try:
        resp = answer_all(client, f"/s/{token}", values, {"role_level": "manager"})
        assert client.get(resp.headers["Location"]).status_code == 200
    finally:
        sa.event.remove(engine, "after_cursor_execute", record)
    assert len(status["GET"]) >= 2, status  # the form and the thank-you page
    assert set(status["GET"]) == {TransactionStatus.IDLE}, status
    assert TransactionStatus.INTRANS in status["POST"], status


def test_the_accessibility_statement_takes_no_database_connection(app, client, make_round):
    """Respondent pages read in autocommit, but a page that reads nothing does not check out a
    connection for it (so it still opens when the database does not answer)."""
    slug = make_open_link(app, make_round(open_=True))
    checkouts: list[int] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    sa.event.listen(engine, "checkout", listener)
    try:
        assert client.get("/accessibility").status_code == 200
        assert checkouts == []
        assert client.get(f"/o/{slug}").status_code == 200
        assert checkouts  # the form does read
    finally:
        sa.event.remove(engine, "checkout", listener)
