"""The database boundary: a stored round read back exactly, answers packed or not, and the
cache of loaded rounds keyed by report version."""

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, PartnerType, Response, Round
from surveyapp.reporting import build
from surveyapp.reporting import frames as frames_module
from surveyapp.reporting.frames import load_round_frames
from surveyapp.services.report_version import bump_report_version
from tests.conftest import PG_URL
from tests.reporting.test_version_key import _update


def _add(
    round_id: int,
    response_id: int,
    partner: str,
    answers: dict[str, int | str],
    **about: str | None,
) -> None:
    """One stored response; ``answers`` maps item id to 1..5 or "dk"."""
    partner_id = db.session.scalar(sa.select(PartnerType.id).where(PartnerType.slug == partner))
    db.session.add(
        Response(
            id=response_id,
            round_id=round_id,
            partner_type_id=partner_id,
            channel="import",
            submitted_on=date(2026, 11, 23),
            **about,
        )
    )
    db.session.flush()
    for item, value in answers.items():
        db.session.add(
            Answer(
                response_id=response_id,
                item_id=item,
                value=None if value == "dk" else value,
                dont_know=value == "dk",
            )
        )
    db.session.flush()


def _sorted(frame: pd.DataFrame) -> list[tuple]:
    """The frame's rows as sorted tuples, missing values as None."""
    plain = frame.astype(object).where(frame.notna(), None)
    return sorted(plain.itertuples(index=False, name=None))


@pytest.fixture
def stored(app_ctx, make_round):
    round_id = make_round(partner_type_slugs=["school", "police"], locality_names=["North"])
    _add(
        round_id,
        11,
        "school",
        {"comm_partners": 5, "comm_feedback": "dk", "lead_role": 1},
        role_level="manager",
        training="yes",
    )
    _add(
        round_id, 12, "police", {"comm_partners": 2, "path_parents": 4, "not_in_the_instrument": 3}
    )
    _add(round_id, 13, "school", {})  # started, answered nothing
    db.session.commit()
    return round_id


def test_a_round_reads_back_exactly_as_stored(stored):
    frames = load_round_frames(db.session, stored)
    assert _sorted(frames.responses) == [
        (11, "school", None, "manager", "yes"),
        (12, "police", None, None, None),
        (13, "school", None, None, None),
    ]
    # the answer to an item the round's instrument does not have is left out
    assert _sorted(frames.answers) == [
        (11, "comm_feedback", None, True),
        (11, "comm_partners", 5, False),
        (11, "lead_role", 1, False),
        (12, "comm_partners", 2, False),
        (12, "path_parents", 4, False),
    ]
    assert dict(frames.answers.dtypes.astype(str)) == {
        "response_id": "int64",
        "item_id": "category",
        "value": "Int64",
        "dont_know": "bool",
    }
    # item ids are categories in the instrument's order (encoding looks up 15, not every row)
    assert list(frames.answers["item_id"].cat.categories) == list(frames.items["item_id"])
    assert frames.partner_type_labels == {"school": "School", "police": "Police"}


def test_more_items_than_one_packed_integer_holds(stored):
    """31 items take two packed columns (20 + 11, the last place needing 64 bits); every
    answer lands on its own item."""
    items = [f"extra_{k:02d}" for k in range(31)]
    expected = []
    for k, item in enumerate(items):
        value = "dk" if k % 7 == 0 else 1 + (k + 1) % 5  # the last one is 2
        if k % 4 != 1:  # a few skipped
            db.session.add(
                Answer(
                    response_id=12,
                    item_id=item,
                    value=None if value == "dk" else value,
                    dont_know=value == "dk",
                )
            )
            expected.append((12, item, None if value == "dk" else value, value == "dk"))
    db.session.flush()
    responses, answers = frames_module._round_rows(db.session, stored, items)
    assert len(responses) == 3
    assert _sorted(answers) == sorted(expected)


def test_the_cache_serves_a_round_until_its_answers_or_settings_change(stored):
    build.clear_cache()

    def frames():  # as a request would: the round read afresh
        return build.round_frames(db.session.get(Round, stored))

    first = frames()
    assert frames() is first
    # a new answer bumps the report version (as every service that changes responses does)
    _add(stored, 14, "police", {"comm_partners": 4})
    bump_report_version(stored)
    second = frames()
    assert second is not first and 14 in set(second.responses["response_id"])
    # a new minimum group size (through the service) gives new frames
    _update(stored, min_group_size=7)
    third = frames()
    assert third is not second and third.min_group_size == 7
    assert load_round_frames(db.session, stored) is not third  # the loader itself never caches


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's JIT compiler")
def test_reading_a_round_turns_postgresql_jit_off_for_its_transaction_only(stored):
    # The frames query's plan is priced high enough for JIT at any round size, and compiling
    # it cost 150-300 ms per round at 100,000 responses, longer than the query (benchmarks/).
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "on"
    load_round_frames(db.session, stored)
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
    db.session.rollback()
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "on"
