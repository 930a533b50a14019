"""The lead's wording of invitation and reminder emails, and its checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from surveyapp.models import Round
from surveyapp.services import ServiceError

#: Placeholders the lead may use in email wording; ``{link}`` is filled in only at send time.
PLACEHOLDERS = ("link", "title", "closes_on", "council")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

DEFAULT_INVITATION_SUBJECT = "Please tell us about early help: {title}"
DEFAULT_INVITATION_BODY = """Hello,

We would like to know how confident you feel about early help for families in our area: where \
to find help, what to do when a case is not right for children's social care, and whether \
partners keep each other informed.

The survey takes about 3 minutes. Your answers are anonymous: we can see that you have answered, \
but never what you said.

Answer the survey: {link}

This link is personal to you, so please do not forward it. The survey closes on {closes_on}.

Thank you,
{council} early help team"""
DEFAULT_REMINDER_SUBJECT = "Reminder: {title}"
DEFAULT_REMINDER_BODY = """Hello,

We recently asked you to answer a short survey about early help for families. If you have not \
had a chance yet, it takes about 3 minutes and your answers are anonymous.

Answer the survey: {link}

The survey closes on {closes_on}. If you have answered since this email was sent, thank you, \
and please ignore it.

{council} early help team"""


@dataclass(frozen=True)
class EmailWording:
    """The lead's wording of invitation and reminder emails, with ``{placeholders}``."""

    invitation_subject: str = DEFAULT_INVITATION_SUBJECT
    invitation_body: str = DEFAULT_INVITATION_BODY
    reminder_subject: str = DEFAULT_REMINDER_SUBJECT
    reminder_body: str = DEFAULT_REMINDER_BODY


def wording_of(round_: Round) -> EmailWording:
    """The round's wording, with the defaults standing in for anything left empty."""
    default = EmailWording()
    return EmailWording(
        **{
            f.name: getattr(round_, f.name) or getattr(default, f.name)
            for f in fields(EmailWording)
        }
    )


def check_wording(wording: EmailWording) -> EmailWording:
    """Trimmed wording, or a :class:`ServiceError` naming the first field that is not usable."""
    clean: dict[str, str] = {}
    for f in fields(EmailWording):
        text = getattr(wording, f.name).strip().replace("\r\n", "\n")
        is_subject = f.name.endswith("subject")
        what = f.name.replace("_", " ")
        if not text:
            raise ServiceError(f"enter the {what}", f.name)
        if is_subject and (len(text) > 200 or "\n" in text):
            raise ServiceError(f"the {what} must be one line of 200 characters or fewer", f.name)
        if len(text) > 5000:
            raise ServiceError(f"the {what} must be 5,000 characters or fewer", f.name)
        unknown = sorted({p for p in _PLACEHOLDER.findall(text) if p not in PLACEHOLDERS})
        if unknown:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ServiceError(
                f"the {what} uses {', '.join('{' + u + '}' for u in unknown)}, "
                f"which is not a placeholder we know (use {allowed})",
                f.name,
            )
        if is_subject and "{link}" in text:
            raise ServiceError(
                f"the {what} cannot contain {{link}}: put the link in the body", f.name
            )
        if not is_subject and "{link}" not in text:
            raise ServiceError(
                f"the {what} must contain {{link}}, where each person's own survey link goes",
                f.name,
            )
        clean[f.name] = text
    return EmailWording(**clean)
