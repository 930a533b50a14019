"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from surveyapp.models.audit import AuditEvent
from surveyapp.models.instruments import InstrumentSnapshot
from surveyapp.models.invitations import Invitation
from surveyapp.models.mail import OutboxMessage, OutboxStatus
from surveyapp.models.quotes import PublishedQuote
from surveyapp.models.reference import Locality, PartnerType
from surveyapp.models.responses import (
    Answer,
    Channel,
    Draft,
    ImportBatch,
    Response,
    SubmissionReceipt,
)
from surveyapp.models.rounds import OpenLink, Round, RoundStatus
from surveyapp.models.users import PasswordReset, RecoveryCode, Role, User

__all__ = [
    "Answer",
    "AuditEvent",
    "Channel",
    "Draft",
    "ImportBatch",
    "InstrumentSnapshot",
    "Invitation",
    "Locality",
    "OpenLink",
    "OutboxMessage",
    "OutboxStatus",
    "PartnerType",
    "PasswordReset",
    "PublishedQuote",
    "RecoveryCode",
    "Response",
    "Role",
    "Round",
    "RoundStatus",
    "SubmissionReceipt",
    "User",
]
