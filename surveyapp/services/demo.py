"""``demo``: believable demo data for a local look around. Idempotent.

Three rounds of the standard instrument (two closed a year apart, and an open one compared with
the later), with a few hundred synthetic responses each whose gaps follow the seed survey:
partners less sure about services for parents than for children, police and housing less sure of
thresholds than schools, about two-thirds not agreeing that partners communicate well. Two small
partner types fall below the reporting minimum so suppression shows. The earliest round's gaps
are a little wider, so the trends page shows them closing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.instruments import get_instrument
from surveyapp.instruments.about import RoleLevel, Training
from surveyapp.models import (
    Answer,
    Channel,
    Invitation,
    OpenLink,
    PartnerType,
    Response,
    Role,
    Round,
    User,
)
from surveyapp.models.responses import instrument_packer, random_id
from surveyapp.services import rounds as round_svc
from surveyapp.services.invitations import add_invitations, send_invitations
from surveyapp.services.links import open_link_url
from surveyapp.services.report_version import bump_report_version
from surveyapp.services.users import create_user

DEMO_INSTRUMENT = "early-help-pathways@1"
CLOSED_TITLE = "Demo: partner survey, spring"
OPEN_TITLE = "Demo: partner survey, autumn"
PREVIOUS_TITLE = "Demo: partner survey, previous spring"
TITLES = (CLOSED_TITLE, OPEN_TITLE, PREVIOUS_TITLE)
LOCALITIES = ("North", "South", "East", "West")
#: Partner type -> responses in the (closed, open, previous) round.
SIZES = {
    "school": (95, 70, 88),
    "police": (60, 45, 52),
    "health_visiting": (48, 35, 40),
    "housing": (34, 26, 30),
    "gp": (22, 15, 18),
    "early_years": (30, 24, 26),
    "voluntary_sector": (40, 30, 35),
    "youth_service": (14, 11, 12),
    "domestic_abuse_service": (7, 6, 5),
    "other": (4, 3, 6),
}
#: The previous spring's share agreeing is this much lower than last spring's, on every item.
PREVIOUS_SHORTFALL = 0.07
#: Item -> share agreeing for an average partner in the closed round.
BASE_POSITIVE = {
    "comm_partners": 0.34,
    "comm_feedback": 0.30,
    "comm_roles": 0.55,
    "path_children": 0.66,
    "path_parents": 0.50,
    "path_request": 0.60,
    "path_advice": 0.62,
    "thr_next_steps": 0.48,
    "thr_guidance": 0.52,
    "thr_step": 0.45,
    "info_share": 0.63,
    "par_domestic_abuse": 0.55,
    "par_substance": 0.44,
    "par_mental_health": 0.47,
    "lead_role": 0.42,
}
#: (partner type, item prefix) -> shift in the share agreeing.
SHIFTS = {
    ("school", "thr_"): 0.15,
    ("police", "thr_"): -0.17,
    ("housing", "thr_"): -0.15,
    ("police", "path_"): -0.10,
    ("housing", "par_"): -0.08,
    ("health_visiting", "path_"): 0.10,
    ("health_visiting", "par_"): 0.12,
    ("gp", "comm_"): -0.12,
    ("voluntary_sector", "lead_"): 0.15,
    ("school", "lead_"): 0.10,
    ("police", "lead_"): -0.12,
}


def _values(rng: np.random.Generator, p_pos: float, n: int, dk_rate: float) -> list[int | None]:
    p_pos = float(np.clip(p_pos, 0.05, 0.95))
    p_neutral = (1 - p_pos) * 0.35
    p_neg = 1 - p_pos - p_neutral
    probs = [p_neg * 0.3, p_neg * 0.7, p_neutral, p_pos * 0.7, p_pos * 0.3]
    values = rng.choice([1, 2, 3, 4, 5], size=n, p=probs)
    dk = rng.random(n) < dk_rate
    return [None if d else int(v) for v, d in zip(values, dk, strict=True)]


def _fill(
    round_: Round, which: int, rng: np.random.Generator, improvement: float, start: date
) -> int:
    instrument = round_.instrument.instrument()
    types = {p.slug: p.id for p in db.session.scalars(sa.select(PartnerType))}
    localities = [loc.id for loc in round_.localities]
    span = max(1, min(21, (timeutil.today() - start).days + 1))
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for slug, sizes in SIZES.items():
        n = sizes[which]
        ids = [random_id() for _ in range(n)]
        days = rng.integers(0, span, size=n)
        for rid, day in zip(ids, days, strict=True):
            responses.append(
                {
                    "id": rid,
                    "round_id": round_.id,
                    "partner_type_id": types[slug],
                    "locality_id": int(rng.choice(localities)),
                    "role_level": RoleLevel.FRONTLINE.value
                    if rng.random() < 0.7
                    else RoleLevel.MANAGER.value,
                    "training": str(rng.choice(list(Training), p=[0.4, 0.5, 0.1])),
                    "channel": Channel.OPEN.value if rng.random() < 0.6 else Channel.INVITE.value,
                    "submitted_on": start + timedelta(days=int(day)),
                }
            )
        for item in instrument.items:
            shift = sum(
                v for (pt, prefix), v in SHIFTS.items() if pt == slug and item.id.startswith(prefix)
            )
            dk_rate = 0.10 if item.domain == "thresholds" else 0.04
            for rid, value in zip(
                ids,
                _values(rng, BASE_POSITIVE[item.id] + shift + improvement, n, dk_rate),
                strict=True,
            ):
                answers.append(
                    {
                        "response_id": rid,
                        "item_id": item.id,
                        "value": value,
                        "dont_know": value is None,
                    }
                )
    packer = instrument_packer(instrument)
    packed = packer.pack_each(
        (a["response_id"], a["item_id"], a["value"], a["dont_know"]) for a in answers
    )
    for response in responses:
        response.update(packed.get(response["id"]) or packer.empty())
    db.session.execute(sa.insert(Response), responses)
    db.session.execute(sa.insert(Answer), answers)
    bump_report_version(round_.id)
    return len(responses)


def _invite(round_: Round, rng: np.random.Generator) -> int:
    """Invite demo partner staff (example.org addresses) and mark as many of them completed or
    started as there are invitation-channel responses, so the response rates add up."""
    localities = [loc.name for loc in round_.localities]
    rows = ["email,partner_type,locality"]
    for slug, sizes in SIZES.items():
        for n in range(int(sizes[1] * 1.5)):
            rows.append(f"{slug}.{n + 1}@partners.example.org,{slug},{rng.choice(localities)}")
    added = add_invitations(round_, ("\n".join(rows) + "\n").encode(), "demo-invitations.csv")
    send_invitations(round_)
    done = dict(
        db.session.execute(
            sa.select(Response.partner_type_id, sa.func.count())
            .where(Response.round_id == round_.id, Response.channel == "invite")
            .group_by(Response.partner_type_id)
        ).all()
    )
    today = timeutil.today()
    for type_id, completed in done.items():
        invitations = db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.round_id == round_.id, Invitation.partner_type_id == type_id)
            .order_by(Invitation.id)
        ).all()
        for n, invitation in enumerate(invitations[: completed + 3]):
            invitation.started_on = round_.opens_on
            if n < completed:
                invitation.completed_on = today
    return added.added


def _demo_admin(email: str) -> list[str]:
    path = Path(current_app.instance_path) / "demo-login.txt"
    existing = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    if existing is None:
        password = secrets.token_urlsafe(12)
        create_user(email, Role.ADMIN, password)
        path.write_text(f"{email.lower()}\n{password}\n")
        path.chmod(0o600)
    elif not path.exists():
        return [f"Demo admin {email} exists already (its password was not kept)."]
    saved_email, password = path.read_text().split("\n")[:2]
    return [f"Log in as {saved_email} with password {password} (local demo only)."]


def _closed_round(
    title: str,
    which: int,
    rng: np.random.Generator,
    improvement: float,
    days_ago: int,
    results_message: str,
) -> tuple[Round, int]:
    """A demo round answered and closed, backdated to have run for 30 days from ``days_ago``."""
    today = timeutil.today()
    round_ = round_svc.create_round(
        instrument_ref=DEMO_INSTRUMENT,
        title=title,
        locality_names=LOCALITIES,
        results_message=results_message,
    )
    # Compared with whichever closed round came before it (none for the first), not with the
    # latest closed when it was created, which for a backdated round can be a later one.
    round_.compared_round = None
    round_svc.open_round(round_)
    n = _fill(round_, which, rng, improvement=improvement, start=today - timedelta(days=days_ago))
    round_svc.close_round(round_)
    round_.opens_on = today - timedelta(days=days_ago)
    round_.closes_on = today - timedelta(days=days_ago - 30)
    round_.created_at = datetime.combine(round_.opens_on - timedelta(days=14), time(10))
    round_.opened_at = datetime.combine(round_.opens_on, time(9))
    round_.closed_at = datetime.combine(round_.closes_on, time(17))
    return round_, n


def load_demo(admin_email: str | None = None) -> list[str]:
    """Create the demo rounds if they are not there; return lines to print.

    A database loaded before the previous spring's round was part of the demo gets just that
    round added.
    """
    lines: list[str] = []
    get_instrument(DEMO_INSTRUMENT)
    existing = {
        r.title: r for r in db.session.scalars(sa.select(Round).where(Round.title.in_(TITLES)))
    }
    if len(existing) == len(TITLES):
        lines.append("Demo data is already loaded.")
    elif existing and set(existing) != {CLOSED_TITLE, OPEN_TITLE}:
        raise RuntimeError("demo data is half loaded; remove the demo rounds and run again")
    if not existing:
        rng = np.random.default_rng(20261123)
        today = timeutil.today()
        for name in LOCALITIES:
            round_svc.get_or_create_locality(name)
        # Backdated so it reads as last spring's.
        closed, n_closed = _closed_round(
            CLOSED_TITLE,
            0,
            rng,
            improvement=0.0,
            days_ago=200,
            results_message="Results were shared at the partnership board.",
        )
        opens_on = today - timedelta(days=10)
        opened = round_svc.create_round(
            instrument_ref=DEMO_INSTRUMENT,
            title=OPEN_TITLE,
            locality_names=LOCALITIES,
            opens_on=opens_on,
            closes_on=today + timedelta(days=20),
            compared_round_id=closed.id,
            results_message="We will share what you told us, and what we will do, by the end "
            "of next month.",
        )
        round_svc.open_round(opened)
        n_open = _fill(opened, 1, rng, improvement=0.05, start=opens_on)
        round_svc.create_open_link(opened)
        n_invited = _invite(opened, rng)
        db.session.flush()
        lines.append(
            f"Loaded demo rounds {closed.id} ({n_closed} responses, closed) and "
            f"{opened.id} ({n_open} responses, open; {n_invited} people invited, their "
            f"emails queued in the outbox)."
        )
        existing = {CLOSED_TITLE: closed, OPEN_TITLE: opened}
    if PREVIOUS_TITLE not in existing:
        # Its own generator, so adding it leaves the other rounds' answers as they were.
        previous, n_previous = _closed_round(
            PREVIOUS_TITLE,
            2,
            np.random.default_rng(20251123),
            improvement=-PREVIOUS_SHORTFALL,
            days_ago=200 + 365,
            results_message="Results were shared at the partnership board.",
        )
        db.session.flush()
        lines.append(
            f"Loaded demo round {previous.id} ({n_previous} responses, closed a year "
            f"before {CLOSED_TITLE})."
        )
    link = db.session.scalar(
        sa.select(OpenLink).where(
            OpenLink.round_id == existing[OPEN_TITLE].id,
            OpenLink.active,
            OpenLink.partner_type_id.is_(None),
        )
    )
    if link is not None:
        lines.append(f"Open link for partner staff: {open_link_url(link.slug)}")
    if admin_email:
        lines.extend(_demo_admin(admin_email))
    return lines
