"""Constraints the database itself enforces, whatever the code path."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Invitation,
    Locality,
    OpenLink,
    PartnerType,
    Response,
    Round,
    SubmissionReceipt,
)


@pytest.fixture
def round_id(make_round):
    return make_round(open_=True)


def _response(round_id: int, **kwargs) -> Response:
    pt = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == "school"))
    return Response(
        round_id=round_id,
        partner_type_id=pt.id,
        channel=kwargs.pop("channel", "open"),
        submitted_on=date(2026, 11, 23),
        **kwargs,
    )


def _fails(*objects) -> None:
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("value,dont_know", [(0, False), (6, False), (None, False), (3, True)])
def test_answer_value_must_be_1_to_5_or_dont_know(app_ctx, round_id, value, dont_know):
    response = _response(round_id)
    response.answers = [Answer(item_id="comm_partners", value=value, dont_know=dont_know)]
    _fails(response)


def test_valid_answers_are_stored(app_ctx, round_id):
    response = _response(round_id)
    response.answers = [
        Answer(item_id="comm_partners", value=5, dont_know=False),
        Answer(item_id="comm_roles", value=None, dont_know=True),
    ]
    db.session.add(response)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 2
    assert response.id > 0  # random, not sequential


def test_one_answer_per_item_per_response(app_ctx, round_id):
    response = _response(round_id)
    db.session.add(response)
    db.session.flush()
    row = {"response_id": response.id, "item_id": "comm_partners", "value": 5, "dont_know": False}
    db.session.execute(sa.insert(Answer), [row])
    with pytest.raises(IntegrityError):
        db.session.execute(sa.insert(Answer), [row | {"value": 4}])
    db.session.rollback()


def test_one_submission_receipt_per_invitation(app_ctx, round_id):
    db.session.add(
        SubmissionReceipt(key_hash="a" * 64, round_id=round_id, submitted_on=date(2026, 11, 23))
    )
    db.session.commit()
    _fails(SubmissionReceipt(key_hash="a" * 64, round_id=round_id, submitted_on=date(2026, 11, 24)))


def test_response_channel_is_checked(app_ctx, round_id):
    _fails(_response(round_id, channel="email"))


def test_unique_slugs_and_emails(app_ctx, round_id):
    _fails(PartnerType(slug="school", label="Schools again"))
    db.session.add(Locality(slug="north", name="North"))
    db.session.commit()
    _fails(Locality(slug="north", name="North again"))
    db.session.add(OpenLink(round_id=round_id, slug="abc"))
    db.session.commit()
    _fails(OpenLink(round_id=round_id, slug="abc"))
    pt = db.session.scalar(sa.select(PartnerType.id).where(PartnerType.slug == "police"))
    db.session.add(
        Invitation(
            round_id=round_id,
            email="a@x.org",
            partner_type_id=pt,
            token_hash="1" * 64,
            token_nonce="n1",
        )
    )
    db.session.commit()
    _fails(
        Invitation(
            round_id=round_id,
            email="a@x.org",
            partner_type_id=pt,
            token_hash="2" * 64,
            token_nonce="n2",
        )
    )
    _fails(
        Invitation(
            round_id=round_id,
            email="b@x.org",
            partner_type_id=pt,
            token_hash="1" * 64,
            token_nonce="n3",
        )
    )


def test_min_group_size_never_below_five(app_ctx, round_id):
    round_ = db.session.get(Round, round_id)
    round_.min_group_size = 4
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
