"""A response's stored packed answers (``packed_answers_*``): every writer fills them exactly as
the report would fold the answers, the report reads them (and folds the answers only where they
are NULL), and the migration fills existing responses."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import Answer, PartnerType, Response, Round
from surveyapp.models.responses import (
    PACKED_COLUMNS,
    AnswerPacker,
    instrument_packer,
    packed_columns,
)
from surveyapp.reporting import frames as frames_module
from surveyapp.reporting.frames import load_round_frames
from surveyapp.services.demo import OPEN_TITLE, load_demo
from surveyapp.services.imports import import_responses
from tests.reporting.test_frames import _add, _sorted
from tests.web.respond_helpers import PAGES, answer_all, make_open_link

ALL_ITEMS = [i for page in PAGES for i in page]
BEFORE = "b4d2f6a8c310"  # the revision before the packed columns


def _item_ids(round_id: int) -> list[str]:
    return [i.id for i in db.session.get(Round, round_id).instrument.instrument().items]


def _read(round_id: int, *, stored: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frames_module._round_rows(db.session, round_id, _item_ids(round_id), stored=stored)


def _assert_stored_matches_folded(round_id: int, expected_responses: int) -> None:
    """Every response of the round has its packed answers stored, and reading them gives frames
    identical to folding the answers in the database."""
    unpacked = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .where(Response.round_id == round_id, Response.packed_answers_1.is_(None))
    )
    assert unpacked == 0
    responses, answers = _read(round_id, stored=True)
    folded_responses, folded_answers = _read(round_id, stored=False)
    assert len(responses) == expected_responses and len(answers) > 0
    pd.testing.assert_frame_equal(responses, folded_responses)
    pd.testing.assert_frame_equal(answers, folded_answers)


# --- the packing itself -------------------------------------------------------------------------


def test_each_answer_lands_at_its_items_place_and_nothing_else_adds():
    items = [f"i{k:02d}" for k in range(31)]
    packer = AnswerPacker(items)
    packed = packer.pack(
        [("i00", 5, False), ("i19", None, True), ("i20", 1, False), ("i30", 2, False)]
        + [("not_an_item", 3, False)]
    )
    assert packed == (5 + (6 << 57), 1 + (2 << 30))
    assert packer.pack([]) == (0, 0)
    # 15 items use one integer: the second column stays NULL (no items there)
    assert AnswerPacker(items[:15]).pack([("i14", 4, False)]) == (4 << 42, None)
    # items after the 40th are not stored (the report folds them from the answers)
    many = [f"m{k:02d}" for k in range(45)]
    assert AnswerPacker(many).pack([("m39", 3, False), ("m44", 5, False)]) == (0, 3 << 57)


def test_the_forms_answers_pack_as_the_stored_answers_would(app_ctx):
    instrument = db.session.get(Round, _demo_round()).instrument.instrument()
    form = {item: ("dk" if n % 4 == 0 else str(1 + n % 5)) for n, item in enumerate(ALL_ITEMS)}
    stored = [(i, None if a == "dk" else int(a), a == "dk") for i, a in form.items()]
    assert packed_columns(instrument, form) == dict(
        zip(PACKED_COLUMNS, instrument_packer(instrument).pack(stored), strict=True)
    )
    grouped = instrument_packer(instrument).pack_each((7, *answer) for answer in stored)
    assert grouped == {7: packed_columns(instrument, form)}


def _demo_round() -> int:
    from surveyapp.services.rounds import create_round

    round_ = create_round(title="Packing", instrument_ref="early-help-pathways@1")
    db.session.flush()
    return round_.id


# --- every writer -------------------------------------------------------------------------------


def test_the_answering_flow_stores_packed_answers(app, make_round):
    round_id = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = make_open_link(app, round_id)
    for n in range(6):
        values = {
            item: ("dk" if (n + k) % 6 == 0 else str(1 + (n * 3 + k) % 5))
            for k, item in enumerate(ALL_ITEMS)
        }
        answer_all(
            app.test_client(),
            f"/o/{slug}",
            values,
            {"partner_type": ("school", "police")[n % 2]},
        )
    with app.app_context():
        _assert_stored_matches_folded(round_id, 6)


def test_an_import_stores_packed_answers(app, make_round):
    round_id = make_round(partner_type_slugs=["school", "police"])
    items = ["thr_step", "comm_partners", "lead_role", "path_parents"]  # not instrument order
    texts = ["1", "Agree", "DK", "", "strongly disagree", "5"]
    lines = ["partner_type," + ",".join(items)]
    for n in range(30):
        cells = [texts[(n + k) % len(texts)] for k in range(len(items))]
        lines.append(",".join([("school", "police")[n % 2], *cells]))
    with app.app_context():
        import_responses(
            db.session.get(Round, round_id), ("\n".join(lines) + "\n").encode(), "paper.csv"
        )
        db.session.commit()
        _assert_stored_matches_folded(round_id, 30)


def test_the_demo_stores_packed_answers(app_ctx):
    load_demo()
    db.session.commit()
    round_ids = db.session.scalars(sa.select(Round.id)).all()
    assert len(round_ids) == 3
    for round_id in round_ids:
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.round_id == round_id)
        )
        _assert_stored_matches_folded(round_id, total)
    assert db.session.scalar(sa.select(Round.id).where(Round.title == OPEN_TITLE)) in round_ids


# --- reading ------------------------------------------------------------------------------------


def test_the_report_reads_the_stored_value_and_folds_answers_only_where_it_is_null(
    app_ctx, make_round
):
    round_id = make_round(partner_type_slugs=["school"])
    _add(round_id, 1, "school", {"comm_partners": 5, "comm_feedback": "dk"})
    _add(round_id, 2, "school", {"lead_role": 2})
    _add(round_id, 3, "school", {})  # written as the ORM does: not packed
    db.session.commit()
    # none stored: every response folded from its answers
    frames = load_round_frames(db.session, round_id)
    assert _sorted(frames.answers) == [
        (1, "comm_feedback", None, True),
        (1, "comm_partners", 5, False),
        (2, "lead_role", 2, False),
    ]
    folded = _read(round_id, stored=False)
    # response 2 stored (deliberately not its answers: the stored value is what is read);
    # 1 and 3 stay NULL and are folded
    item_ids = _item_ids(round_id)
    _set_packed(round_id, 2, [(item_ids[0], 3, False)])
    responses, answers = _read(round_id, stored=True)
    pd.testing.assert_frame_equal(responses, folded[0])
    assert _sorted(answers) == [
        (1, "comm_feedback", None, True),
        (1, "comm_partners", 5, False),
        (2, item_ids[0], 3, False),
    ]
    # stored rightly, it reads exactly as folded
    _set_packed(round_id, 2, [("lead_role", 2, False)])
    pd.testing.assert_frame_equal(_read(round_id, stored=True)[1], folded[1])


def _set_packed(round_id: int, response_id: int, answers: list[tuple[str, int, bool]]) -> None:
    instrument = db.session.get(Round, round_id).instrument.instrument()
    packed = instrument_packer(instrument).pack(answers)
    db.session.execute(
        sa.update(Response)
        .where(Response.id == response_id)
        .values(dict(zip(PACKED_COLUMNS, packed, strict=True)))
    )


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def migrated_app(app_config):
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_migration_fills_existing_responses_and_its_downgrade_keeps_the_answers(
    migrated_app,
):
    from surveyapp.services.rounds import create_round

    app = migrated_app
    with app.app_context():
        upgrade(revision=BEFORE)
        # a round and responses as the schema before held them (plain INSERTs of its columns)
        round_ = create_round(title="Before", instrument_ref="early-help-pathways@1")
        db.session.flush()
        round_id = round_.id
        school = db.session.scalar(sa.select(PartnerType.id).where(PartnerType.slug == "school"))
        items = _item_ids(round_id)
        answers = [
            (rid, item, None if (rid + k) % 7 == 0 else 1 + (rid * k) % 5, (rid + k) % 7 == 0)
            for rid in range(1, 41)
            for k, item in enumerate(items)
            if (rid + k) % 5 != 0  # some skipped
        ]
        db.session.execute(
            sa.insert(Response.__table__),  # type: ignore[arg-type]
            [
                {
                    "id": rid,
                    "round_id": round_id,
                    "partner_type_id": school,
                    "channel": "import",
                    "submitted_on": date(2026, 11, 23),
                    "excluded": False,
                }
                for rid in range(1, 42)  # 41 answered nothing
            ],
        )
        db.session.execute(
            sa.insert(Answer.__table__),  # type: ignore[arg-type]
            [
                {"response_id": r, "item_id": i, "value": v, "dont_know": dk}
                for r, i, v, dk in answers
            ],
        )
        db.session.commit()
        expected = instrument_packer(round_.instrument.instrument()).pack_each(answers)
        expected[41] = dict(zip(PACKED_COLUMNS, (0, None), strict=True))

        upgrade()
        stored = {
            rid: dict(zip(PACKED_COLUMNS, packed, strict=True))
            for rid, *packed in db.session.execute(
                sa.select(Response.id, *(getattr(Response, c) for c in PACKED_COLUMNS))
            )
        }
        assert stored == expected
        _assert_stored_matches_folded(round_id, 41)
        db.session.commit()

        downgrade(revision=BEFORE)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("responses")}
        assert not columns & set(PACKED_COLUMNS)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == len(answers)
        assert db.session.scalar(sa.text("SELECT count(*) FROM responses")) == 41
        db.session.commit()
        upgrade()  # and up again
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(Response.packed_answers_1.is_not(None))
            )
            == 41
        )
