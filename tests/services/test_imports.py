"""``responses import`` writes with one bulk insert per table (COPY on PostgreSQL, chunked
executemany elsewhere): every row and answer lands exactly once, in the caller's transaction,
and a bad row anywhere leaves nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, ImportBatch, Response, Round
from surveyapp.services import bulk
from surveyapp.services.imports import ImportFailed, import_responses
from tests.conftest import count

ITEMS = ["path_parents", "comm_partners", "thr_next_steps"]  # not in item-id order
CODES = ["1", "Agree", "DK", "", "strongly disagree", "5"]
VALUES = {
    "1": (1, False),
    "agree": (4, False),
    "dk": (None, True),
    "strongly disagree": (1, False),
    "5": (5, False),
}


def _csv(rows: int, bad_row: int | None = None) -> tuple[bytes, list[tuple[str, str, str]]]:
    """A file of ``rows`` responses cycling through answer texts; the expected answers as
    (partner type, item, text) triples."""
    lines = ["partner_type,locality,role_level,training," + ",".join(ITEMS)]
    expected = []
    for n in range(rows):
        partner = ("school", "police")[n % 2]
        cells = [CODES[(n + k) % len(CODES)] for k in range(len(ITEMS))]
        if not any(cells):
            cells[0] = "3"
        if bad_row is not None and n + 2 == bad_row:
            cells[-1] = "seven"
        role = ("frontline", "manager", "")[n % 3]
        lines.append(",".join([partner, ("North", "")[n % 2], role, "yes", *cells]))
        expected += [(partner, item, cell) for item, cell in zip(ITEMS, cells, strict=True) if cell]
    return ("\n".join(lines) + "\n").encode(), expected


def test_every_row_lands_once_through_small_chunks(app, make_round, monkeypatch):
    monkeypatch.setattr(bulk, "_CHUNK", 7)  # several executemany calls on SQLite
    round_id = make_round(partner_type_slugs=["school", "police"], locality_names=["North"])
    content, expected = _csv(50)
    with app.app_context():
        batch = import_responses(db.session.get(Round, round_id), content, "paper.csv")
        db.session.commit()
        assert batch.row_count == 50 and count(Response) == 50
        rows = db.session.execute(
            sa.select(
                Response.partner_type_id,
                Response.locality_id.is_not(None),
                Response.role_level,
                Response.training,
                Response.import_batch_id,
                Response.channel,
                Answer.item_id,
                Answer.value,
                Answer.dont_know,
            ).join(Answer)
        ).all()
        slugs = {r.id: r.slug for r in db.session.get(Round, round_id).partner_types}
        got = sorted(((slugs[r[0]], r[6], r[7], r[8]) for r in rows), key=repr)
        want = sorted(((p, item, *VALUES[text.lower()]) for p, item, text in expected), key=repr)
        assert got == want
        assert {r[4] for r in rows} == {batch.id} and {r[5] for r in rows} == {"import"}
        assert sum(1 for r in rows if r[1]) == sum(1 for p, _, _ in expected if p == "school")
        managers = db.session.scalar(
            sa.select(sa.func.count()).where(Response.role_level == "manager")
        )
        assert managers == len(range(1, 50, 3))
        ids = db.session.scalars(sa.select(Response.id)).all()
        assert len(set(ids)) == 50 and all(0 < i < 2**63 for i in ids)


def test_a_bad_last_row_leaves_nothing(app, make_round, monkeypatch):
    monkeypatch.setattr(bulk, "_CHUNK", 7)
    round_id = make_round(partner_type_slugs=["school", "police"], locality_names=["North"])
    content, _ = _csv(40, bad_row=41)
    with app.app_context():
        with pytest.raises(ImportFailed) as refused:
            import_responses(db.session.get(Round, round_id), content, "paper.csv")
        db.session.rollback()
        assert [str(p) for p in refused.value.problems] == [
            "row 41: thr_next_steps 'seven' is not 1-5, a scale label or DK"
        ]
        assert count(Response) == 0 and count(Answer) == 0 and count(ImportBatch) == 0


def test_about_cells_are_read_by_their_question_types(app, make_round):
    """Role level and training accept the code or the label in any case, as the form does,
    and a value that is neither refuses the file, naming the row and the answers allowed."""
    round_id = make_round(partner_type_slugs=["school"])
    good = (
        b"partner_type,role_level,training,comm_partners\n"
        b"school,SUPERVISOR OR MANAGER,Not sure,4\n"
        b"school,frontline,NO,2\n"
    )
    with app.app_context():
        import_responses(db.session.get(Round, round_id), good, "labels.csv")
        db.session.commit()
        stored = sorted(
            tuple(r) for r in db.session.execute(sa.select(Response.role_level, Response.training))
        )
        assert stored == [("frontline", "no"), ("manager", "not_sure")]
        bad = b"partner_type,role_level,comm_partners\nschool,boss,4\n"
        with pytest.raises(ImportFailed) as failed:
            import_responses(db.session.get(Round, round_id), bad, "bad.csv")
        db.session.rollback()
        [problem] = failed.value.problems
        assert problem.row == 2
        assert problem.reason.startswith("role_level: 'boss' is not one of the answers")
        assert count(Response) == 2
