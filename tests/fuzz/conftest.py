"""Fuzz tests fire many requests from one address: no rate limits here (they have their own
tests), so every refusal seen is the app's judgement of the input."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "RATELIMIT_ENABLED": False}
