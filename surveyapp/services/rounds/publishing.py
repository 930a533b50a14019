"""The partner-facing "you said, we did" summary of a closed round."""

from __future__ import annotations

from surveyapp.models import Round, User
from surveyapp.models.base import utcnow
from surveyapp.models.rounds import RoundStatus
from surveyapp.services import ServiceError
from surveyapp.services.audit import record


def publish_round(round_: Round, actions_text: str, *, by: User | None = None) -> None:
    """Publish (or update) the partner-facing "you said, we did" summary of a closed round."""
    if round_.status != RoundStatus.CLOSED.value:
        raise ServiceError("close the round before publishing its summary")
    actions_text = actions_text.strip().replace("\r\n", "\n")
    if not actions_text:
        raise ServiceError(
            "enter what you will do in response to what partners said", "actions_text"
        )
    if len(actions_text) > 10_000:
        raise ServiceError("the actions must be 10,000 characters or fewer", "actions_text")
    first = round_.published_at is None
    round_.actions_text = actions_text
    round_.published_at = utcnow()
    record("round.publish" if first else "round.publish_update", user=by, round_id=round_.id)


def unpublish_round(round_: Round, *, by: User | None = None) -> None:
    """Take the published summary down again (the actions text is kept)."""
    if round_.published_at is None:
        raise ServiceError("this round's summary is not published")
    round_.published_at = None
    record("round.unpublish", user=by, round_id=round_.id)
