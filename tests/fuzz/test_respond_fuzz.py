"""The one-page respondent form and its background save under random and hostile input: never a
500, a refused request writes nothing, an accepted one writes exactly the answers it carried, and
no script comes back."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from hypothesis import event, example, given
from hypothesis import strategies as st

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.services import submissions as svc
from surveyapp.services.submissions import COMMENT_MAX
from tests.fuzz.strategies import (
    FUZZ,
    HOSTILE_TEXT,
    SCRIPT,
    assert_no_reflected_script,
    changed_tables,
    db_snapshot,
    hostile_text,
    often,
)
from tests.web.respond_helpers import make_invitation, make_open_link

SCALE = ["1", "2", "3", "4", "5", "dk"]
#: What may change when a page is accepted, and when a response goes in.
SAVE_TABLES = {"drafts", "invitations"}
SUBMIT_TABLES = SAVE_TABLES | {"responses", "answers", "submission_receipts", "rounds"}


def _round(app, make_round) -> int:
    return make_round(
        open_=True, partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )


def _resolve(base: str, client) -> svc.Respondent:
    if base.startswith("/s/"):
        return svc.for_invitation(base[3:])
    slug = base[3:]
    return svc.for_open_link(slug, client.get_cookie("respondent", path=base).value)


def _valid_values(respondent: svc.Respondent, step: svc.Step) -> dict[str, list[str]]:
    fields = svc.form_fields(respondent, svc.DraftState(), {})
    values = {q.id: [v for v, _ in fields[q.id].options] for q in step.about}
    values.update({item.id: SCALE for item in step.items})
    return values


def _prefill(respondent: svc.Respondent) -> None:
    """Save every answer but the first domain's, as the person would have."""
    whole = svc.whole_form(respondent)
    form = {name: [choices[0]] for name, choices in _valid_values(respondent, whole).items()}
    for item in whole.items[:3]:
        form.pop(item.id)
    svc.save_page(respondent, whole, form, resume_at=1)
    db.session.commit()


#: How each question on the page is answered: mostly properly, sometimes not at all or badly.
field_choice = st.sampled_from(["valid"] * 12 + ["absent", "empty", "hostile", "dup"])


@st.composite
def page_posts(draw):
    """(link kind, target (the form or its draft address), prefill, action, csrf mode,
    [(choice, pick, text)] per field, extra (name, value) pairs)."""
    target = draw(st.sampled_from(["", "", "/draft"]))
    actions = ["submit", "submit", "submit", "save"]
    return (
        draw(st.sampled_from(["invite", "open", "open_fixed"])),
        target,
        draw(st.booleans()),
        draw(
            often(
                draw(st.sampled_from(actions)),
                [None, "", "submit", "next", "save", "back", "delete", SCRIPT],
            )
        ),
        draw(often("ok", ["missing", "wrong", "dup"])),
        draw(
            st.lists(
                st.tuples(field_choice, st.integers(0, 5), hostile_text), min_size=5, max_size=5
            )
        ),
        draw(often([], [[(SCRIPT, "1")], [("lead_role_2", "1")], [("x", SCRIPT)]])),
    )


def _build_form(
    respondent: svc.Respondent,
    step: svc.Step | None,
    choices,
    comment: str,
) -> tuple[list[tuple[str, str]], dict[str, str] | None]:
    """The posted pairs, and the answers they validly carry (None when the page must refuse)."""
    pairs: list[tuple[str, str]] = []
    carried: dict[str, str] = {}
    valid = True
    if step is None:
        return pairs, None
    fields = _valid_values(respondent, step)
    for (name, allowed), (choice, pick, text) in zip(fields.items(), choices * 4, strict=False):
        if choice == "valid":
            pairs.append((name, allowed[pick % len(allowed)]))
            carried[name] = allowed[pick % len(allowed)]
        elif choice == "empty":
            pairs.append((name, ""))
        elif choice == "hostile":
            pairs.append((name, text))
            if text in allowed:
                carried[name] = text
            elif text:
                valid = False
        elif choice == "dup":
            pairs += [(name, allowed[0]), (name, allowed[pick % len(allowed)])]
            valid = False
    if step.comment:
        pairs.append(("one_thing", comment))
    return pairs, carried if valid else None


def _link(app, rid: int, kind: str) -> str:
    if kind == "invite":
        return "/s/" + make_invitation(app, rid, email=f"{uuid.uuid4().hex}@example.org")
    return "/o/" + make_open_link(app, rid, "police" if kind == "open_fixed" else None)


def test_step_post(app, make_round):
    rid = _round(app, make_round)

    @FUZZ
    @given(post=page_posts(), comment=hostile_text)
    @example(
        post=("invite", "", True, "submit", "ok", [("valid", 0, "")] * 5, []), comment="a\x00b"
    )
    @example(post=("open", "", False, "save", "ok", [("hostile", 0, "\x00")] * 5, []), comment="")
    @example(post=("invite", "", True, "submit", "ok", [("valid", 3, "")] * 5, []), comment=SCRIPT)
    @example(post=("open", "/draft", True, None, "ok", [("valid", 1, "")] * 5, []), comment="x")
    def post_page(post, comment):
        kind, target, prefill, action, csrf_mode, choices, extra = post
        base = _link(app, rid, kind)
        client = app.test_client()
        page = client.get(base)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        with app.app_context():
            respondent = _resolve(base, client)
            step = svc.whole_form(respondent)
            if prefill:
                _prefill(respondent)
            pairs, carried = _build_form(respondent, step, choices, comment)
            draft_before = svc.load_draft(respondent)
            response_ids = set(db.session.scalars(sa.select(Response.id)))
            before = db_snapshot()

        pairs += extra
        if action is not None:
            pairs.append(("action", action))
        if csrf_mode == "ok":
            pairs.append(("csrf_token", token))
        elif csrf_mode == "wrong":
            pairs.append(("csrf_token", token[:-2] + "xx"))
        elif csrf_mode == "dup":
            pairs += [("csrf_token", token), ("csrf_token", token)]
        body = urlencode(pairs).encode()
        resp = client.post(
            f"{base}{target}", data=body, content_type="application/x-www-form-urlencoded"
        )
        event(f"status {resp.status_code}")
        assert resp.status_code < 500
        assert_no_reflected_script(resp)
        draft = target == "/draft"  # the background save ignores the action
        accepted = (
            csrf_mode == "ok"
            and len(body) <= 32 * 1024
            and carried is not None
            and not extra
            and not any("\x00" in k + v for k, v in pairs)
            and (draft or action is None or action in ("submit", "save"))
        )
        with app.app_context():
            after = db_snapshot()
            if not accepted:
                assert resp.status_code in (400, 404, 413), resp.status_code
                assert after == before
                return
            assert resp.status_code in ((204,) if draft else (200, 303, 422)), resp.status_code
            assert changed_tables(before, after) <= SUBMIT_TABLES
            # A question the form did not send keeps its saved answer.
            items = {i.id for i in step.items}
            answers = dict(draft_before.answers)
            answers.update({k: v for k, v in carried.items() if k in items})
            about = dict(draft_before.about)
            about.update({k: v for k, v in carried.items() if k not in items})
            comment_ = comment.replace("\r\n", "\n").strip() if step.comment else None
            new_ids = set(db.session.scalars(sa.select(Response.id))) - response_ids
            if not new_ids:
                assert changed_tables(before, after) <= SAVE_TABLES
                state = svc.load_draft(respondent)
                assert (state.answers, state.about) == (answers, about)
                if comment_ is not None:
                    assert state.comment == comment_
                return
            assert action in ("submit", None) and not draft and len(new_ids) == 1
            assert len(answers) == 15 and len(comment_ or "") <= COMMENT_MAX
            response = db.session.get(Response, new_ids.pop())
            got = {a.item_id: "dk" if a.dont_know else str(a.value) for a in response.answers}
            assert got == answers
            assert response.comment == (comment_ or None)
            assert (response.role_level, response.training) == (
                about.get("role_level"),
                about.get("training"),
            )

    post_page()


#: Percent-escapes that decode to trouble: NUL, an overlong NUL, a UTF-16 surrogate written
#: as UTF-8, stray continuation and invalid bytes, a BOM.
BAD_ESCAPES = [
    "%00",
    "%C0%80",
    "%ED%A0%80",
    "%ED%BF%BF",
    "%80",
    "%FF%FE",
    "%EF%BB%BF",
    "%",
    "%G1",
    "%E2%80%AE",
]
raw_piece = st.one_of(
    st.sampled_from(BAD_ESCAPES),
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"&",
            b"=",
            b"comm_partners=",
            b"action=save",
            b"action=submit",
            b"lead_role=4",
            b"one_thing=",
        ]
    ),
)


def test_raw_bodies(app, make_round):
    """Bodies no browser would send, past a valid CSRF token: refused cleanly, or saved with only
    answers that are on the scale."""
    rid = _round(app, make_round)

    @FUZZ
    @given(
        target=st.sampled_from(["", "/draft"]),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=xyz",
                "multipart/form-data",
                "text/plain",
                "application/json",
                "application/x-www-form-urlencoded; charset=latin-1",
            ]
        ),
        pieces=st.lists(raw_piece, max_size=12),
    )
    @example(
        target="/draft",
        content_type="application/x-www-form-urlencoded",
        pieces=["&", b"comm_partners=", "%ED%A0%80"],
    )
    @example(
        target="",
        content_type="application/x-www-form-urlencoded",
        pieces=["&", b"one_thing=", "%C0%80", "&", b"action=save"],
    )
    def post_raw(target, content_type, pieces):
        base = _link(app, rid, "invite")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(base).text).group(1)
        body = (
            b"csrf_token="
            + token.encode()
            + b"".join(p.encode() if isinstance(p, str) else p for p in pieces)
        )
        with app.app_context():
            before = db_snapshot()
        resp = client.post(f"{base}{target}", data=body, content_type=content_type)
        event(f"status {resp.status_code}")
        assert resp.status_code < 500
        assert_no_reflected_script(resp)
        with app.app_context():
            after = db_snapshot()
            if resp.status_code >= 400 and resp.status_code != 422:
                assert after == before
                return
            assert changed_tables(before, after) <= SAVE_TABLES
            state = svc.load_draft(svc.for_invitation(base[3:]))
            assert set(state.answers.values()) <= set(SCALE)

    post_raw()


path_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT[:26] + ["..", "%2e%2e", "a/b", "x" * 200]), st.text(max_size=30)
)


def test_get_anything(app, make_round):
    """Any address under the respondent pages, with any query and cookie: a page or a clean
    4xx, nothing written, nothing reflected."""
    rid = _round(app, make_round)
    token = _link(app, rid, "invite")[3:]
    slug = _link(app, rid, "open")[3:]

    @FUZZ
    @given(
        template=st.sampled_from(
            [
                "/s/{x}",
                "/s/{x}/1",
                "/s/{x}/done",
                "/o/{x}",
                "/o/{x}/2",
                "/o/{x}/done",
                "/results/{x}",
                "/s/{token}/{x}",
                "/o/{slug}/{x}",
                "/s/{token}/3?check={x}",
                "/o/{slug}/1?check=1&{x}={x}",
            ]
        ),
        text=path_text,
        cookie=path_text,
    )
    @example(template="/o/{x}", text="\x00", cookie="")
    @example(template="/o/{slug}/{x}", text="1", cookie="\x00" * 30)
    @example(template="/results/{x}", text=SCRIPT, cookie=SCRIPT)
    def get(template, text, cookie):
        url = template.format(x=quote(text, safe=""), token=token, slug=slug)
        client = app.test_client()
        if cookie:
            client.set_cookie("respondent", cookie, path=f"/o/{slug}")
        with app.app_context():
            before = db_snapshot()
        resp = client.get(url)
        event(f"status {resp.status_code}")
        assert resp.status_code < 500
        assert_no_reflected_script(resp)
        with app.app_context():
            assert db_snapshot() == before

    get()
