"""Factories and answer sets shared by the respondent tests."""

from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Invitation, PartnerType, Round
from surveyapp.services.tokens import invitation_token, new_nonce, sha256

#: The standard instrument's items, domain by domain (about you came first in the old pages).
PAGES = [
    ["comm_partners", "comm_feedback", "comm_roles"],
    ["path_children", "path_parents", "path_request", "path_advice"],
    ["thr_next_steps", "thr_guidance", "thr_step"],
    ["info_share"],
    ["par_domestic_abuse", "par_substance", "par_mental_health"],
    ["lead_role"],
]
SIGNPOSTS = {
    "pathways": {
        "label": "Find early-help services for parents",
        "url": "https://council.example/early-help",
    },
    "thresholds": {
        "label": "Read the continuum of need",
        "url": "https://council.example/thresholds",
    },
    "communication": {"label": "Meet the early-help team", "url": "https://council.example/team"},
}


def make_invitation(
    app, round_id: int, partner_type: str = "police", email: str = "pc@example.org"
) -> str:
    """Add an invitation directly; returns its link token."""
    with app.app_context():
        nonce = new_nonce()
        token = invitation_token(nonce)
        pt = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == partner_type))
        db.session.add(
            Invitation(
                round_id=round_id,
                email=email,
                partner_type_id=pt.id,
                token_hash=sha256(token),
                token_nonce=nonce,
            )
        )
        db.session.commit()
        return token


def make_open_link(app, round_id: int, partner_type: str | None = None) -> str:
    from surveyapp.services.rounds import create_open_link

    with app.app_context():
        link = create_open_link(db.session.get(Round, round_id), partner_type_slug=partner_type)
        db.session.commit()
        return link.slug


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def answer_all(
    client, base: str, values: dict[str, str], about: dict[str, str], comment: str = ""
) -> object:
    """Answer the one-page form and submit it; returns the POST's response."""
    page = client.get(base)
    data = {"csrf_token": csrf(page.text), "action": "submit", **about, **values}
    if comment:
        data["one_thing"] = comment
    resp = client.post(base, data=data)
    assert resp.status_code == 303, resp.text
    return resp
