"""Rounds, by feature: lifecycle (create, edit, open, close, delete), lookups of partner types
and localities, email wording, signposts, open links and publishing.

The names below are re-exported so that ``from surveyapp.services import rounds`` and
``rounds.create_round(...)`` keep working; new code may import from the feature module.
"""

from surveyapp.services.rounds.lifecycle import (
    MAX_REMINDERS_LIMIT,
    RoundSettings,
    answered_count,
    can_reopen,
    close_round,
    closed_on,
    create_round,
    create_round_from,
    delete_round,
    latest_closed_round,
    open_round,
    reopen_round,
    response_counts,
    settings_copied_from,
    settings_problems,
    snapshot_for,
    update_round,
)
from surveyapp.services.rounds.lookups import (
    LOCALITY_NAME_MAX,
    get_or_create_locality,
    localities_by_name,
    locality_name_problem,
    partner_types_by_slug,
    slugify,
)
from surveyapp.services.rounds.open_links import (
    create_open_link,
    deactivate_open_link,
    open_link_counts,
    update_open_link,
)
from surveyapp.services.rounds.publishing import publish_round, unpublish_round
from surveyapp.services.rounds.signposts import check_signposts
from surveyapp.services.rounds.wording import (
    DEFAULT_INVITATION_BODY,
    DEFAULT_INVITATION_SUBJECT,
    DEFAULT_REMINDER_BODY,
    DEFAULT_REMINDER_SUBJECT,
    PLACEHOLDERS,
    EmailWording,
    check_wording,
    wording_of,
)

__all__ = [
    "DEFAULT_INVITATION_BODY",
    "DEFAULT_INVITATION_SUBJECT",
    "DEFAULT_REMINDER_BODY",
    "DEFAULT_REMINDER_SUBJECT",
    "LOCALITY_NAME_MAX",
    "MAX_REMINDERS_LIMIT",
    "PLACEHOLDERS",
    "EmailWording",
    "RoundSettings",
    "answered_count",
    "can_reopen",
    "check_signposts",
    "check_wording",
    "close_round",
    "closed_on",
    "create_open_link",
    "create_round",
    "create_round_from",
    "deactivate_open_link",
    "open_link_counts",
    "update_open_link",
    "delete_round",
    "get_or_create_locality",
    "latest_closed_round",
    "localities_by_name",
    "locality_name_problem",
    "open_round",
    "partner_types_by_slug",
    "publish_round",
    "reopen_round",
    "response_counts",
    "settings_copied_from",
    "settings_problems",
    "slugify",
    "snapshot_for",
    "unpublish_round",
    "update_round",
    "wording_of",
]
