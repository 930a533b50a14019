import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import User
from tests.conftest import TEST_PASSWORD, csrf_token_from

GENERIC = "The email address or password is not right."


def _post_login(client, email, password, next_url=None):
    token = csrf_token_from(client.get("/login").text)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_password_is_stored_as_argon2id(app, make_user):
    user = make_user("manager")
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user["id"]))
    assert stored.startswith("$argon2id$") and TEST_PASSWORD not in stored


def test_login_then_staff_home_then_logout(client, make_user, make_round):
    make_round("Spring partner survey")
    user = make_user("manager")
    resp = _post_login(client, user["email"].upper(), TEST_PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Spring partner survey" in home.text
    resp = client.post("/logout", data={"csrf_token": csrf_token_from(home.text)})
    assert resp.status_code == 302
    assert client.get("/").status_code == 302


def test_failures_do_not_say_which_part_was_wrong(client, make_user):
    user = make_user("lead")
    wrong_password = _post_login(client, user["email"], "nope nope nope")
    unknown_email = _post_login(client, "nobody@example.org", TEST_PASSWORD)
    for resp in (wrong_password, unknown_email):
        assert resp.status_code == 400
        assert GENERIC in resp.text
    assert wrong_password.text.replace(user["email"], "").count(
        "error"
    ) == unknown_email.text.replace("nobody@example.org", "").count("error")


def test_inactive_user_cannot_log_in(app, client, make_user):
    user = make_user("admin")
    with app.app_context():
        db.session.get(User, user["id"]).active = False
        db.session.commit()
    assert GENERIC in _post_login(client, user["email"], TEST_PASSWORD).text


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("lead")
    resp = client.post("/login", data={"email": user["email"], "password": TEST_PASSWORD})
    assert resp.status_code == 400
    assert "form has expired" in resp.text
    assert client.get("/").status_code == 302


def test_logout_is_post_only_and_csrf_protected(client, make_user, login):
    login(make_user("lead"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_next_is_followed_only_within_the_site(client, make_user):
    user = make_user("lead")
    resp = _post_login(client, user["email"], TEST_PASSWORD, next_url="https://evil.example/")
    assert resp.headers["Location"] == "/"


def test_session_is_renewed_on_login(client, make_user):
    user = make_user("lead")
    client.get("/login")
    before = client.get_cookie("session").value
    _post_login(client, user["email"], TEST_PASSWORD)
    after = client.get_cookie("session").value
    assert before != after


def test_password_change_ends_old_sessions(app, client, make_user, login):
    user = make_user("lead")
    login(user)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, user["id"]).session_nonce = "changed"
        db.session.commit()
    assert client.get("/").status_code == 302
