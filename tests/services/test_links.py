"""Links given to people outside the app are at BASE_URL, built from the routes."""

import pytest

from surveyapp.services.links import invitation_url, open_link_url, public_url


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "BASE_URL": "https://survey.example.org/early-help/"}


def test_links_are_at_base_url_with_its_path_outside_a_request(app):
    with app.app_context():
        assert open_link_url("Ab-9") == "https://survey.example.org/early-help/o/Ab-9"
        assert invitation_url("t0k") == "https://survey.example.org/early-help/s/t0k"
        assert (
            public_url("results.summary", slug="x y")
            == "https://survey.example.org/early-help/results/x%20y"
        )


def test_a_request_by_another_host_name_still_gets_the_public_address(app):
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert open_link_url("Ab-9") == "https://survey.example.org/early-help/o/Ab-9"
