from tests.browser.conftest import axe_violations, no_horizontal_scroll, screenshot


def test_login_and_round_list_in_chromium(server_url, laptop, make_user, make_round):
    lead = make_user("lead")
    make_round("Autumn partner survey", open_=True)
    laptop.goto(server_url + "/")
    assert "/login" in laptop.url
    assert axe_violations(laptop) == []
    laptop.fill("#email", lead["email"])
    laptop.fill("#password", "not the password")
    laptop.click("button[type=submit]")
    assert "email address or password is not right" in laptop.text_content(".error-summary")
    laptop.fill("#email", lead["email"])
    laptop.fill("#password", lead["password"])
    laptop.keyboard.press("Enter")
    laptop.wait_for_url(server_url + "/")
    assert "Autumn partner survey" in laptop.text_content("table")
    assert axe_violations(laptop) == []
    assert no_horizontal_scroll(laptop)
    screenshot(laptop, "staff-rounds-laptop")
