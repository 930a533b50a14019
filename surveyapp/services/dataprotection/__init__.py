"""Data protection, one module per feature:

- :mod:`.retention`: erasing respondents' email addresses after the retention period;
- :mod:`.erasure`: erasing a round entirely;
- :mod:`.subject_access`: finding everything held about one email address;
- :mod:`.common`: the audit action names, ``RETENTION_DAYS`` and helpers they share.

Responses never name a person (see :mod:`surveyapp.models.responses`), so the only personal data
about partner staff is in invitations (the email address) and the outbox (emails to them).
After a round ends, ``RETENTION_DAYS`` later, :func:`erase_expired_emails` clears the addresses
but keeps each invitation's partner type, locality and times, so response rates stay right.
The audit log records each erasure; it is also the record of when a round's emails went.
"""

from __future__ import annotations

from surveyapp.services.dataprotection.common import (
    ANONYMITY_NOTE,
    ERASE_EMAILS,
    ERASE_ROUND,
    MAX_REFERENCE_LENGTH,
    SUBJECT_ACCESS,
    retention_days,
)
from surveyapp.services.dataprotection.erasure import (
    RoundContents,
    erase_round,
    round_contents,
    title_confirmed,
)
from surveyapp.services.dataprotection.retention import (
    EmailRetention,
    ErasedEmails,
    email_retention,
    emails_erased_at,
    erase_expired_emails,
    erased_rounds,
    expired_rounds,
    retention_overview,
    round_ended_at,
)
from surveyapp.services.dataprotection.subject_access import (
    CSV_COLUMNS,
    InvitationRecord,
    MessageRecord,
    StaffAccountRecord,
    SubjectAccess,
    checked_email,
    checked_reference,
    subject_access,
    subject_access_csv,
    subject_access_json,
)

__all__ = [
    "ANONYMITY_NOTE",
    "CSV_COLUMNS",
    "ERASE_EMAILS",
    "ERASE_ROUND",
    "MAX_REFERENCE_LENGTH",
    "SUBJECT_ACCESS",
    "EmailRetention",
    "ErasedEmails",
    "InvitationRecord",
    "MessageRecord",
    "RoundContents",
    "StaffAccountRecord",
    "SubjectAccess",
    "checked_email",
    "checked_reference",
    "email_retention",
    "emails_erased_at",
    "erase_expired_emails",
    "erase_round",
    "erased_rounds",
    "expired_rounds",
    "retention_days",
    "retention_overview",
    "round_contents",
    "round_ended_at",
    "subject_access",
    "subject_access_csv",
    "subject_access_json",
    "title_confirmed",
]
