import os
import stat

import pytest

from surveyapp import create_app
from surveyapp.config import ConfigError, from_environment


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("SURVEYAPP_"):
            monkeypatch.delenv(key)


def test_defaults_need_nothing_set(tmp_path, clean_env):
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/surveyapp.sqlite"
    assert app.config["TIMEZONE"] == "Europe/London"
    # The rate limits README documents, all in the defaults.
    assert app.config["LOGIN_RATE_LIMIT"] == "10 per minute; 100 per hour"
    assert app.config["TOKEN_LINK_RATE_LIMIT"] == "120 per minute; 1500 per hour"
    assert app.config["OPEN_LINK_RATE_LIMIT"] == "120 per minute; 1500 per hour"
    assert app.config["OPEN_LINK_SUBMIT_RATE_LIMIT"] == "30 per minute; 300 per hour"
    key = (tmp_path / "secret_key").read_text().strip()
    assert app.config["SECRET_KEY"] == key and len(key) == 64
    assert create_app(instance_path=str(tmp_path)).config["SECRET_KEY"] == key


def test_instance_config_then_environment_then_test_config(tmp_path, clean_env, monkeypatch):
    (tmp_path / "config.py").write_text(
        "COUNCIL_NAME = 'Instance Council'\nTIMEZONE = 'UTC'\nMAIL_SENDER = 'eh@instance.example'\n"
    )
    monkeypatch.setenv("SURVEYAPP_TIMEZONE", "Europe/Dublin")
    monkeypatch.setenv("SURVEYAPP_MAIL_SENDER", "eh@env.example")
    app = create_app({"MAIL_SENDER": "eh@test.example"}, instance_path=str(tmp_path))
    assert app.config["COUNCIL_NAME"] == "Instance Council"
    assert app.config["TIMEZONE"] == "Europe/Dublin"
    assert app.config["MAIL_SENDER"] == "eh@test.example"


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEYAPP_SECRET_KEY", raising=False)
    from surveyapp.config import instance_secret_key

    first = instance_secret_key(str(tmp_path))
    second = instance_secret_key(str(tmp_path))
    assert first == second and len(first) == 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_variables_are_read(monkeypatch):
    env = {
        "SURVEYAPP_DATABASE_URL": "postgresql://u@h/db",
        "SURVEYAPP_SECRET_KEY": "s3",
        "SURVEYAPP_MAIL_PORT": "2525",
        "SURVEYAPP_MAIL_USE_TLS": "true",
        "SURVEYAPP_TIMEZONE": "Europe/Dublin",
    }
    found = from_environment(env)
    assert found == {
        "SQLALCHEMY_DATABASE_URI": "postgresql://u@h/db",
        "SECRET_KEY": "s3",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": True,
        "TIMEZONE": "Europe/Dublin",
    }


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="SURVEYAPP_MAIL_PORT"):
        from_environment({"SURVEYAPP_MAIL_PORT": "twenty-five"})


def test_postgres_url_uses_psycopg3(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_DATABASE_URL", "postgresql://u@127.0.0.1/x")
    monkeypatch.setenv("SURVEYAPP_SECRET_KEY", "k")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/x"
    assert app.config["SECRET_KEY"] == "k"
