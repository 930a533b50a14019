"""Every staff route, walked for each role: exactly the roles it names get in."""

from __future__ import annotations

import re

import pytest

from surveyapp.extensions import db
from surveyapp.models import Round
from tests.conftest import csrf_token_from
from surveyapp.web.access import ADMIN, READ_REPORTS, RUN_ROUNDS


def staff_rules(app):
    """(rule, methods, required roles) for each view decorated with roles_required."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        if roles is not None:
            found.append((rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), set(roles)))
    return found


def test_the_routes_of_this_issue_are_role_checked(app):
    roles = {rule.endpoint: r for rule, _, r in staff_rules(app)}
    for endpoint in ("rounds.new", "rounds.edit", "rounds.open_", "rounds.close", "rounds.delete",
                     "rounds.preview", "rounds.invitations", "rounds.send_invitations",
                     "rounds.send_reminders", "rounds.send_mail", "rounds.links",
                     "rounds.deactivate_link", "rounds.link_qr_svg", "rounds.link_qr_png",
                     "rounds.link_poster", "rounds.publish", "rounds.unpublish"):
        assert roles[endpoint] == set(RUN_ROUNDS), endpoint
    assert roles["rounds.status"] == roles["rounds.status_table"] == set(READ_REPORTS)
    assert roles["admin.users"] == roles["admin.audit"] == set(ADMIN)


@pytest.mark.parametrize("role", ["admin", "lead", "manager", None])
def test_every_staff_route_admits_exactly_its_roles(app, client, make_user, login, make_round,
                                                   role):
    round_id = make_round("Roles", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        from surveyapp.services.rounds import create_open_link

        link_id = create_open_link(db.session.get(Round, round_id)).id
        db.session.commit()
    if role:
        login(make_user(role))
    token = csrf_token_from(client.get("/" if role else "/login").text)
    checked = 0
    for rule, methods, allowed in staff_rules(app):
        url = re.sub(r"<int:round_id>", str(round_id), rule.rule)
        url = re.sub(r"<int:link_id>", str(link_id), url)
        assert "<" not in url, url
        for method in methods:
            data = {"csrf_token": token} if method == "POST" else None
            resp = client.open(url, method=method, data=data)
            if role is None:
                assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
            elif role in allowed:
                # Let in: the page, a redirect after the action, or a form's complaint.
                assert resp.status_code in (200, 302, 400), (method, url, resp.status_code)
                if resp.status_code == 302:
                    assert "/login" not in resp.headers["Location"]
            else:
                assert resp.status_code == 403, (method, url, resp.status_code)
            checked += 1
    assert checked >= 25
