"""Every route x every role (and anonymous), against a table of who may use it written out by
hand here, not read from the views' decorators: so a decorator that names the wrong roles, or a
route that forgets one, fails.

Adding a route? Put its endpoint in ``EXPECTED`` (the test fails until you do), and if its address
has an argument not in ``ARG_VALUES``, say which object it takes there.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Invitation, PartnerType, Response, Round, SubmissionReceipt
from surveyapp.services import quotes as quote_svc
from surveyapp.services import rounds as round_svc
from surveyapp.services.tokens import sha256
from surveyapp.services.users import create_user, issue_password_reset, password_reset_link
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.web.respond_helpers import make_invitation, make_open_link

PUBLIC = "public"  # anyone: respondents, published summaries, log in and out
STAFF = "staff"  # any logged-in staff member
RUN_ROUNDS = "run rounds"  # build, open, close and publish rounds; invitations and open links
REPORTS = "reports"  # read response rates and reports
ADMIN = "admin"  # staff accounts and the audit log

#: Who is let in, per class. ``None`` is an anonymous visitor.
ALLOWED: dict[str, set[str | None]] = {
    PUBLIC: {None, "admin", "lead", "manager"},
    STAFF: {"admin", "lead", "manager"},
    RUN_ROUNDS: {"admin", "lead"},
    REPORTS: {"admin", "lead", "manager"},
    ADMIN: {"admin"},
}

#: Every endpoint of the app and who may use it (all its methods alike).
EXPECTED: dict[str, str] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    # log in and out
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.second_factor": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.sso_login": PUBLIC,
    "auth.sso_callback": PUBLIC,
    # a staff member's own account: password, second factor
    "auth.account": STAFF,
    "auth.two_factor_setup": STAFF,
    "auth.two_factor_disable": STAFF,
    # partner staff answering (anonymous by design)
    "respond.accessibility": PUBLIC,
    "respond.invite_intro": PUBLIC,
    "respond.invite_step": PUBLIC,
    "respond.invite_draft": PUBLIC,
    "respond.invite_done": PUBLIC,
    "respond.open_intro": PUBLIC,
    "respond.open_step": PUBLIC,
    "respond.open_draft": PUBLIC,
    "respond.open_done": PUBLIC,
    "respond.open_next": PUBLIC,
    "results.summary": PUBLIC,
    # staff home
    "rounds.index": STAFF,
    # running rounds
    "rounds.new": RUN_ROUNDS,
    "rounds.show": RUN_ROUNDS,
    "rounds.edit": RUN_ROUNDS,
    "rounds.preview": RUN_ROUNDS,
    "rounds.open_": RUN_ROUNDS,
    "rounds.close": RUN_ROUNDS,
    "rounds.delete": RUN_ROUNDS,
    "rounds.reopen": RUN_ROUNDS,
    "rounds.invitations": RUN_ROUNDS,
    "rounds.send_invitations": RUN_ROUNDS,
    "rounds.send_reminders": RUN_ROUNDS,
    "rounds.send_mail": RUN_ROUNDS,
    "rounds.participants": RUN_ROUNDS,
    "rounds.comments": RUN_ROUNDS,
    "rounds.comments_xlsx": RUN_ROUNDS,
    "rounds.publish_quote": RUN_ROUNDS,
    "rounds.withdraw_quote": RUN_ROUNDS,
    "rounds.resend_invitation": RUN_ROUNDS,
    "rounds.remove_invitation": RUN_ROUNDS,
    "rounds.erase_invitation_email": RUN_ROUNDS,
    "rounds.links": RUN_ROUNDS,
    "rounds.deactivate_link": RUN_ROUNDS,
    "rounds.edit_link": RUN_ROUNDS,
    "rounds.link_flag": RUN_ROUNDS,
    "rounds.link_qr_svg": RUN_ROUNDS,
    "rounds.link_qr_png": RUN_ROUNDS,
    "rounds.link_poster": RUN_ROUNDS,
    "rounds.publish": RUN_ROUNDS,
    "rounds.unpublish": RUN_ROUNDS,
    # reading results
    "rounds.status": REPORTS,
    "rounds.status_table": REPORTS,
    "reports.show": REPORTS,
    "trends.show": REPORTS,
    "reports.download": REPORTS,
    # administration
    "admin.users": ADMIN,
    "admin.user": ADMIN,
    "admin.user_role": ADMIN,
    "admin.user_deactivate": ADMIN,
    "admin.user_reactivate": ADMIN,
    "admin.user_reset_password": ADMIN,
    "admin.user_reset_totp": ADMIN,
    "admin.audit": ADMIN,
    "admin.data_protection": ADMIN,
    "admin.erase_round": ADMIN,
    "admin.subject_access": ADMIN,
    "admin.reference": ADMIN,
    "admin.add_partner_type": ADMIN,
    "admin.add_locality": ADMIN,
    "admin.partner_type": ADMIN,
    "admin.locality": ADMIN,
    "admin.partner_type_active": ADMIN,
    "admin.locality_active": ADMIN,
}

#: URL argument -> the object (a key of :func:`world`) it takes, unless ``ARG_FOR`` says otherwise.
ARG_VALUES: dict[str, str] = {
    "round_id": "live",
    "link_id": "live_link",
    "token": "token",
    "slug": "slug",
    "number": "page",
    "filename": "css",
    "key": "instrument",
    "fmt": "format",
    "user_id": "account",
    "invitation_id": "invitation",
    "response_id": "commented",
    "quote_id": "quote",
    "flag": "flag",
    "what": "what",
}
#: Endpoints that act on an object of their own, so that acting on it (deleting, closing,
#: switching off) leaves the others as they were for the rest of the walk.
ARG_FOR: dict[str, dict[str, str]] = {
    "rounds.open_": {"round_id": "draft"},
    "rounds.edit": {"round_id": "draft"},
    "rounds.delete": {"round_id": "doomed"},
    "rounds.close": {"round_id": "closing"},
    "rounds.reopen": {"round_id": "reopenable"},
    "rounds.publish": {"round_id": "published"},
    "rounds.unpublish": {"round_id": "unpublishable"},
    "rounds.deactivate_link": {"link_id": "spare_link"},
    "rounds.remove_invitation": {"invitation_id": "removable"},
    "admin.partner_type": {"item_id": "partner_type"},
    "admin.partner_type_active": {"item_id": "partner_type"},
    "admin.locality": {"item_id": "locality"},
    "admin.locality_active": {"item_id": "locality"},
    "rounds.erase_invitation_email": {"invitation_id": "erasable"},
    "results.summary": {"slug": "published_slug"},
    "respond.invite_done": {"token": "done_token"},
    "respond.open_done": {"slug": "done_slug"},
    "respond.open_next": {"slug": "shared_slug"},
    "auth.reset_password": {"token": "reset_token"},
}
#: Requested last: it ends the session the rest of the walk needs.
LAST = ("auth.logout",)
#: This browser's open-link key, already submitted on ``done_slug`` (so its thank-you page shows).
OPEN_KEY = "k" * 32


def world(app, make_round) -> dict[str, object]:
    """Real objects for every argument: rounds in each state, links, invitations, receipts."""

    def closed(title: str, published: bool) -> int:
        rid = make_round(title, open_=True, partner_type_slugs=["school", "police"])
        with app.app_context():
            round_ = db.session.get(Round, rid)
            round_svc.close_round(round_)
            if published:
                round_svc.publish_round(round_, "We will run joint training.")
            db.session.commit()
        return rid

    live = make_round("Live", open_=True, partner_type_slugs=["school", "police"])
    objects: dict[str, object] = {
        "live": live,
        "draft": make_round("Draft", partner_type_slugs=["school"]),
        "doomed": make_round("Doomed", partner_type_slugs=["school"]),
        "closing": make_round("Closing", open_=True, partner_type_slugs=["school"]),
        "published": closed("Published", True),
        "unpublishable": closed("Unpublishable", True),
        "reopenable": closed("Reopenable", False),
        "token": make_invitation(app, live, email="fresh@example.org"),
        "done_token": make_invitation(app, live, email="done@example.org"),
        "slug": make_open_link(app, live),
        "done_slug": make_open_link(app, live),
        "page": 1,
        "css": "app.css",
        "instrument": "early-help-pathways",
        "format": "csv",
        "flag": "burst",
        "what": "exclude",
    }
    objects["published_slug"] = make_open_link(app, objects["published"])
    make_invitation(app, live, email="removable@example.org")
    make_invitation(app, live, email="erasable@example.org")
    with app.app_context():
        account = create_user("account@example.org", "manager", TEST_PASSWORD)
        objects["account"] = account.id
        # Another account's link: resetting ``account`` in the walk replaces its links.
        reset = issue_password_reset(create_user("resetting@example.org", "lead", None))
        objects["reset_token"] = password_reset_link(reset).rsplit("/", 1)[1]
        db.session.commit()
    with app.app_context():
        round_ = db.session.get(Round, live)
        objects["live_link"] = next(
            link.id for link in round_.open_links if link.slug == objects["slug"]
        )
        objects["spare_link"] = round_svc.create_open_link(round_).id
        objects["shared_slug"] = round_svc.create_open_link(round_, shared_device=True).slug
        objects["partner_type"] = round_.partner_types[0].id
        objects["locality"] = round_svc.get_or_create_locality("Matrix").id
        for key, email in (
            ("invitation", "fresh@example.org"),
            ("removable", "removable@example.org"),
            ("erasable", "erasable@example.org"),
        ):
            objects[key] = db.session.scalar(
                sa.select(Invitation.id).where(Invitation.email == email)
            )
        school = db.session.scalar(sa.select(PartnerType.id).where(PartnerType.slug == "school"))
        commented = [
            Response(
                round_id=live,
                partner_type_id=school,
                channel="open",
                submitted_on=date.today(),
                comment=text,
            )
            for text in ("A comment to publish", "A published comment")
        ]
        db.session.add_all(commented)
        db.session.flush()
        objects["commented"] = commented[0].id
        objects["quote"] = quote_svc.publish_quote(
            round_, commented[1].id, "A published comment", public=False, by=None
        ).id
        for key in ("submit:" + str(objects["done_token"]), "submit:open:" + OPEN_KEY):
            db.session.add(
                SubmissionReceipt(key_hash=sha256(key), round_id=live, submitted_on=date.today())
            )
        db.session.commit()
    return objects


def url_for_rule(rule, objects: dict[str, object]) -> str:
    values = {}
    for arg in rule.arguments:
        name = ARG_FOR.get(rule.endpoint, {}).get(arg) or ARG_VALUES.get(arg)
        assert name, f"{rule.endpoint}: say in ARG_VALUES or ARG_FOR what <{arg}> takes"
        values[arg] = objects[name]
    return rule.build(values, append_unknown=False)[1]


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - EXPECTED.keys()) == [], "classify these new routes in EXPECTED"
    assert sorted(EXPECTED.keys() - endpoints) == [], "these routes no longer exist"
    assert set(EXPECTED.values()) <= ALLOWED.keys()


@pytest.mark.parametrize("role", [None, "admin", "lead", "manager"])
def test_each_role_gets_exactly_the_routes_it_should(
    app, client, make_user, login, make_round, role
):
    objects = world(app, make_round)
    client.set_cookie("respondent", OPEN_KEY, path=f"/o/{objects['done_slug']}")
    if role:
        login(make_user(role))
    token = csrf_token_from(client.get("/" if role else "/login").text)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.endpoint))
    wrong, checked = [], 0
    for rule in rules:
        url = url_for_rule(rule, objects)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(
                url, method=method, data={"csrf_token": token} if method == "POST" else None
            )
            status, location = resp.status_code, resp.headers.get("Location", "")
            resp.close()
            to_login = status == 302 and location.startswith("/login?next=")
            if role in ALLOWED[EXPECTED[rule.endpoint]]:
                # Let in: the page, a redirect after an action, a form's complaint or a
                # respondent's "already answered" page; not refused, and not a missing object.
                ok = not to_login and status not in (401, 403, 404, 405) and status < 500
            elif role is None:
                ok = to_login
            else:
                ok = status == 403
            if not ok:
                wrong.append(
                    f"{method} {url} ({rule.endpoint}, {EXPECTED[rule.endpoint]}): "
                    f"{status} {location}"
                )
            checked += 1
    assert wrong == [], f"role {role or 'anonymous'}"
    assert checked >= 40
