"""Staff forms under random and hostile input (round create and edit, staff accounts, open
links): never a 500, a refused form writes nothing, an accepted one writes what was typed,
and nothing typed comes back as markup."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import event, example, given
from hypothesis import strategies as st

from surveyapp.extensions import db
from surveyapp.models import OpenLink, Round, User
from surveyapp.services.users import normalise_email
from tests.fuzz.strategies import (
    FUZZ,
    SCRIPT,
    assert_no_reflected_script,
    changed_tables,
    db_snapshot,
    hostile_text,
)

#: A round form that is accepted as it stands.
VALID_ROUND = {
    "title": "Autumn partner survey",
    "instrument": "early-help-pathways@1",
    "opens_on": "",
    "closes_on": "2099-12-31",
    "partner_types": ["school", "police"],
    "localities": [],
    "new_localities": "North, South",
    "min_group_size": "10",
    "compared_round_id": "",
    "thank_you_message": "Thank you",
    "results_message": "In March",
    "reminder_gap_days": "7",
    "max_reminders": "2",
    "invitation_subject": "Survey: {title}",
    "invitation_body": "Hello\n\nGo to {link}",
    "reminder_subject": "Reminder: {title}",
    "reminder_body": "Still time: {link}",
    "signpost_pathways_label": "Our local offer",
    "signpost_pathways_url": "https://council.example/early-help",
}
ROUND_TABLES = {
    "rounds",
    "round_partner_types",
    "round_localities",
    "localities",
    "instrument_snapshots",
    "audit_events",
}
ODD_VALUES = [
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31",
    "31/12/2026",
    "-5",
    "1e9",
    "10.5",
    "१०",
    "0x10",
    "4" * 40,
    "ftp://x.example",
    "javascript:alert(1)",
    "https://",
    "https://" + "a" * 600 + ".example",
    "{nope}",
    "{link}",
]
odd = st.one_of(hostile_text, st.sampled_from(ODD_VALUES))


@st.composite
def form_values(draw, valid: dict[str, object]):
    """The valid form with some fields missing, duplicated, emptied or replaced, and perhaps
    fields nobody asked for."""
    pairs: list[tuple[str, str]] = []
    for name, value in valid.items():
        how = draw(
            st.sampled_from(["keep"] * 3 * len(valid) + ["odd", "odd", "missing", "dup", "empty"])
        )
        values = value if isinstance(value, list) else [value]
        if how == "odd":
            values = [draw(odd)]
        elif how == "missing":
            values = []
        elif how == "dup":
            values = [*values, draw(odd)]
        elif how == "empty":
            values = [""]
        pairs += [(name, v) for v in values]
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(hostile_text), draw(hostile_text)))
    return pairs


def _token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, url
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def _post(app, client, url: str, pairs: list[tuple[str, str]]):
    """POST with a fresh CSRF token: (response, snapshot before, snapshot after)."""
    body = urlencode([("csrf_token", _token(client, url)), *pairs]).encode()
    with app.app_context():
        before = db_snapshot()
    resp = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    event(f"status {resp.status_code}")
    assert resp.status_code < 500
    assert_no_reflected_script(resp)
    with app.app_context():
        after = db_snapshot()
    if resp.status_code != 302:
        assert resp.status_code in (400, 413), resp.status_code
        assert after == before
    return resp, before, after


def _pairs(**changes: object) -> list[tuple[str, str]]:
    """The valid round form with some fields changed, as posted pairs."""
    form = {**VALID_ROUND, **changes}
    return [
        (k, v)
        for k, values in form.items()
        for v in (values if isinstance(values, list) else [values])
    ]


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k == name), None)


@pytest.fixture
def lead_client(app, client, make_user, login):
    login(make_user("admin"))
    return client


def _check_round(round_: Round, pairs: list[tuple[str, str]]) -> None:
    """The saved round holds what the accepted form said."""
    assert round_.title == _first(pairs, "title").strip()
    assert round_.min_group_size == int(_first(pairs, "min_group_size"))
    assert {p.slug for p in round_.partner_types} == {v for k, v in pairs if k == "partner_types"}
    label = (_first(pairs, "signpost_pathways_label") or "").strip()
    if label:
        assert round_.signposts["pathways"]["label"] == label
    assert round_.thank_you_message == (_first(pairs, "thank_you_message") or "").strip()


def test_create_round(app, lead_client):
    @FUZZ
    @given(pairs=form_values(VALID_ROUND))
    @example(pairs=_pairs(title=SCRIPT))
    @example(pairs=_pairs(new_localities="x" * 200))
    @example(pairs=_pairs(new_localities="!!!, ???"))
    @example(pairs=_pairs(new_localities=SCRIPT))
    @example(
        pairs=_pairs(
            thank_you_message=SCRIPT, results_message=SCRIPT, signpost_pathways_label=SCRIPT
        )
    )
    @example(pairs=_pairs(signpost_pathways_url="javascript:alert(1)//https://x.example"))
    def create(pairs):
        resp, before, after = _post(app, lead_client, "/rounds/new", pairs)
        if resp.status_code == 302:
            assert changed_tables(before, after) <= ROUND_TABLES
            with app.app_context():
                rid = int(resp.headers["Location"].rsplit("/", 1)[1])
                assert len(after["rounds"]) == len(before["rounds"]) + 1
                _check_round(db.session.get(Round, rid), pairs)
            for page in (
                lead_client.get(f"/rounds/{rid}"),
                lead_client.get(f"/rounds/{rid}/preview"),
            ):
                assert page.status_code == 200
                assert_no_reflected_script(page)

    create()


def test_edit_round(app, lead_client, make_round):
    rid = make_round(partner_type_slugs=["school", "police"], locality_names=["North"])

    @FUZZ
    @given(pairs=form_values(VALID_ROUND))
    @example(pairs=_pairs(title=" " + SCRIPT + " "))
    def edit(pairs):
        resp, before, after = _post(app, lead_client, f"/rounds/{rid}/edit", pairs)
        if resp.status_code == 302:
            assert changed_tables(before, after) <= ROUND_TABLES
            with app.app_context():
                _check_round(db.session.get(Round, rid), pairs)
            assert_no_reflected_script(lead_client.get(f"/rounds/{rid}/edit"))

    edit()


def test_create_staff_account(app, lead_client):
    @FUZZ
    @given(
        pairs=form_values(
            {
                "email": "someone@example.org",
                "role": "manager",
                "password": "a long enough password",
            }
        )
    )
    @example(pairs=[("email", "x@y.z" + SCRIPT), ("role", "lead"), ("password", "p" * 12)])
    @example(pairs=[("email", "A@B.CD"), ("role", "admin"), ("password", "\x00" * 12)])
    @example(pairs=[("email", "ü@ö.de"), ("role", "lead"), ("password", "ä" * 12)])
    def create(pairs):
        email = _first(pairs, "email")
        if email and not any(v.lower().strip() == "a@b.cd" for _, v in pairs):
            # Unique per example, so a repeat is a real duplicate, not luck.
            pairs = [
                (k, v.replace("@", f"+{uuid.uuid4().hex[:6]}@", 1) if k == "email" else v)
                for k, v in pairs
            ]
        resp, before, after = _post(app, lead_client, "/admin/users", pairs)
        if resp.status_code == 302:
            assert changed_tables(before, after) <= {"users", "audit_events"}
            assert len(after["users"]) == len(before["users"]) + 1
            with app.app_context():
                user = db.session.scalar(
                    sa.select(User).where(User.email == normalise_email(_first(pairs, "email")))
                )
                assert user is not None and user.role == _first(pairs, "role")
            assert_no_reflected_script(lead_client.get("/admin/users"))

    create()


def test_create_open_link(app, lead_client, make_round):
    rid = make_round(
        open_=True, partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )

    @FUZZ
    @given(pairs=form_values({"partner_type": "police", "locality": "North"}))
    @example(pairs=[("partner_type", "gp"), ("locality", "")])
    @example(pairs=[("partner_type", ""), ("locality", "Nowhere")])
    @example(pairs=[("partner_type", "\r"), ("locality", "North")])
    @example(pairs=[("partner_type", "police"), ("locality", " \t")])
    def create(pairs):
        resp, before, after = _post(app, lead_client, f"/rounds/{rid}/links", pairs)
        if resp.status_code == 302:
            assert changed_tables(before, after) <= {"open_links", "audit_events"}
            assert len(after["open_links"]) == len(before["open_links"]) + 1
            with app.app_context():
                link = db.session.scalars(sa.select(OpenLink).order_by(OpenLink.id.desc())).first()
                assert (link.partner_type.slug if link.partner_type else "") == (
                    _first(pairs, "partner_type") or ""
                ).strip()
                assert (link.locality.name if link.locality else "") == (
                    _first(pairs, "locality") or ""
                ).strip()

    create()


def test_publish_summary(app, lead_client, make_round):
    """The "you said, we did" text is public: whatever is typed, it is shown as text."""
    from surveyapp.services.rounds import close_round
    from tests.web.respond_helpers import make_open_link

    rid = make_round(open_=True, results_message=SCRIPT)
    slug = make_open_link(app, rid)
    with app.app_context():
        close_round(db.session.get(Round, rid))
        db.session.commit()

    @FUZZ
    @given(pairs=form_values({"actions_text": "We will run joint training in May."}))
    @example(pairs=[("actions_text", SCRIPT)])
    @example(pairs=[("actions_text", "\r\n" + "x" * 10_001)])
    def publish(pairs):
        resp, before, after = _post(app, lead_client, f"/rounds/{rid}/publish", pairs)
        if resp.status_code == 302:
            assert changed_tables(before, after) <= {"rounds", "audit_events"}
            with app.app_context():
                text = db.session.get(Round, rid).actions_text
            assert text == _first(pairs, "actions_text").strip().replace("\r\n", "\n")
            summary = lead_client.get(f"/results/{slug}")
            assert summary.status_code == 200
            assert_no_reflected_script(summary)

    publish()


#: Query parameters staff pages read, and a few they do not.
QUERY_NAMES = ["page", "round", "filter", "next", "check", "group", "format", "x"]
STAFF_PAGES = [
    "/",
    "/rounds/new",
    "/rounds/{rid}",
    "/rounds/{rid}/edit",
    "/rounds/{rid}/preview",
    "/rounds/{rid}/invitations",
    "/rounds/{rid}/links",
    "/rounds/{rid}/status",
    "/rounds/{rid}/status/table",
    "/rounds/{rid}/publish",
    "/rounds/{rid}/report",
    "/admin/users",
    "/admin/audit",
    "/rounds/{n}",
    "/rounds/{rid}/links/{n}/poster",
]
number_text = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "-1", "1e3", "١٢", "9" * 30, "", " 1"]),
)


def test_staff_pages_with_any_query(app, lead_client, make_round):
    """Every staff page, with odd numbers in the address and any query string: a page or a
    clean 4xx, nothing written, nothing reflected."""
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])

    @FUZZ
    @given(
        page=st.sampled_from(STAFF_PAGES),
        n=st.integers(-1, 2**70),
        query=st.lists(
            st.tuples(st.sampled_from(QUERY_NAMES), st.one_of(number_text, hostile_text)),
            max_size=3,
        ),
    )
    @example(page="/admin/audit", n=1, query=[("page", "9" * 30)])
    @example(page="/admin/audit", n=1, query=[("round", str(2**63))])
    @example(page="/rounds/{rid}/report", n=1, query=[("filter", SCRIPT)])
    @example(page="/rounds/{n}", n=2**63, query=[])
    @example(page="/rounds/{rid}/links/{n}/poster", n=2**31, query=[])
    def get(page, n, query):
        with app.app_context():
            before = db_snapshot()
        resp = lead_client.get(page.format(rid=rid, n=n), query_string=query)
        event(f"status {resp.status_code}")
        assert resp.status_code < 500
        assert_no_reflected_script(resp)
        with app.app_context():
            after = db_snapshot()
        assert changed_tables(before, after) <= {"users"}  # the login's last-seen time only

    get()
