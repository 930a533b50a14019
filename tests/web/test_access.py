"""No staff page can be added without a role check: every endpoint is either public by design
(respondents, published summaries, log in, the health check) or names the roles it admits."""

PUBLIC_BLUEPRINTS = {"respond", "results", "auth", "health"}


def test_every_endpoint_is_public_by_design_or_role_checked(app):
    unchecked = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0] if "." in rule.endpoint else None
        if rule.endpoint == "static" or blueprint in PUBLIC_BLUEPRINTS:
            continue
        if getattr(app.view_functions[rule.endpoint], "required_roles", None) is None:
            unchecked.append(rule.rule)
    assert unchecked == []


def test_staff_home_redirects_anonymous_visitors_to_log_in(client):
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
