"""The staff routes of the rounds pages name the roles they admit (the walk of every route x
role with real requests is tests/web/test_access_matrix.py)."""

from __future__ import annotations

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
    for endpoint in (
        "rounds.new",
        "rounds.edit",
        "rounds.open_",
        "rounds.close",
        "rounds.delete",
        "rounds.preview",
        "rounds.invitations",
        "rounds.send_invitations",
        "rounds.send_reminders",
        "rounds.send_mail",
        "rounds.links",
        "rounds.deactivate_link",
        "rounds.link_qr_svg",
        "rounds.link_qr_png",
        "rounds.link_poster",
        "rounds.publish",
        "rounds.unpublish",
    ):
        assert roles[endpoint] == set(RUN_ROUNDS), endpoint
    assert roles["rounds.status"] == roles["rounds.status_table"] == set(READ_REPORTS)
    assert roles["admin.users"] == roles["admin.audit"] == set(ADMIN)
