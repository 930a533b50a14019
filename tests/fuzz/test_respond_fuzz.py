"""Respondent pages under random and hostile input: never a 500, a refused request writes
nothing, an accepted one writes exactly the answers it carried, and no script comes back."""

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
    return svc.for_open_link(svc.open_link(slug), client.get_cookie("respondent", path=base).value)


def _valid_values(respondent: svc.Respondent, step: svc.Step) -> dict[str, list[str]]:
    values = {q.id: [v for v, _ in svc.about_choices(respondent, q)] for q in step.about}
    values.update({item.id: SCALE for item in step.items})
    return values


def _prefill(respondent: svc.Respondent, skip: int) -> None:
    """Answer every page but ``skip``, as the person would have."""
    for step in svc.steps(respondent):
        if step.number != skip:
            form = {name: [choices[0]] for name, choices in _valid_values(respondent, step).items()}
            svc.save_page(respondent, step, form, resume_at=step.number)
    db.session.commit()


#: Stands, in a drawn post, for the id of an item that is on another page than the one posted:
#: which ids are foreign depends on the page (and on the link, which may skip "About you").
FOREIGN_ITEM = "<item of another page>"


def _foreign_item(all_steps: list[svc.Step], step: svc.Step | None) -> str:
    """An item id that belongs to the survey but not to ``step``."""
    return next(i.id for s in all_steps if s is not step for i in s.items)


#: How each question on the page is answered: mostly properly, sometimes not at all or badly.
field_choice = st.sampled_from(["valid"] * 12 + ["absent", "empty", "hostile", "dup"])


@st.composite
def page_posts(draw):
    """(link kind, page number, prefill, action, csrf mode, [(choice, pick, text)] per field,
    extra (name, value) pairs)."""
    number = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 7, 7, 0, 8, 99]))
    actions = ["submit"] * 4 if number == 7 else ["next", "next", "back", "save"]
    return (
        draw(st.sampled_from(["invite", "open", "open_fixed"])),
        number,
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
        draw(often([], [[(SCRIPT, "1")], [(FOREIGN_ITEM, "1")], [("x", SCRIPT)]])),
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
    for (name, allowed), (choice, pick, text) in zip(fields.items(), choices * 3, strict=False):
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
    @example(post=("invite", 7, True, "submit", "ok", [("valid", 0, "")] * 5, []), comment="a\x00b")
    @example(post=("open", 1, False, "next", "ok", [("hostile", 0, "\x00")] * 5, []), comment="")
    # An item of another page is refused, even where the same page leaves its own items out.
    @example(
        post=("open", 2, False, "next", "ok", [("absent", 0, "")] * 5, [(FOREIGN_ITEM, "1")]),
        comment="",
    )
    @example(post=("invite", 7, True, "submit", "ok", [("valid", 3, "")] * 5, []), comment=SCRIPT)
    def post_page(post, comment):
        kind, number, prefill, action, csrf_mode, choices, extra = post
        base = _link(app, rid, kind)
        client = app.test_client()
        page = client.get(f"{base}/1")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        with app.app_context():
            respondent = _resolve(base, client)
            all_steps = svc.steps(respondent)
            step = all_steps[number - 1] if 1 <= number <= len(all_steps) else None
            if prefill and step is not None:
                _prefill(respondent, number)
            pairs, carried = _build_form(respondent, step, choices, comment)
            extra = [
                (_foreign_item(all_steps, step) if k == FOREIGN_ITEM else k, v) for k, v in extra
            ]
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
            f"{base}/{number}", data=body, content_type="application/x-www-form-urlencoded"
        )
        event(f"status {resp.status_code}")
        assert resp.status_code < 500
        assert_no_reflected_script(resp)
        last = step is not None and step.number == len(all_steps)
        allowed_actions = {"next", "back", "save"} | ({"submit"} if last else set())
        accepted = (
            csrf_mode == "ok"
            and len(body) <= 32 * 1024
            and step is not None
            and carried is not None
            and not extra
            and not any("\x00" in k + v for k, v in pairs)
            and (action is None or action in allowed_actions)
        )
        with app.app_context():
            after = db_snapshot()
            if not accepted:
                assert resp.status_code in (400, 404, 413), resp.status_code
                assert after == before
                return
            assert resp.status_code in (204, 303, 422), resp.status_code
            assert changed_tables(before, after) <= SUBMIT_TABLES
            items = {i.id for i in step.items}
            answers = {k: v for k, v in draft_before.answers.items() if k not in items}
            answers.update({k: v for k, v in carried.items() if k in items})
            about = {k: v for k, v in draft_before.about.items() if k not in step.fields}
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
            assert action in ("submit", None) and last and len(new_ids) == 1
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
        number=st.sampled_from([2, 7]),
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
        number=2,
        content_type="application/x-www-form-urlencoded",
        pieces=["&", b"comm_partners=", "%ED%A0%80"],
    )
    @example(
        number=7,
        content_type="application/x-www-form-urlencoded",
        pieces=["&", b"one_thing=", "%C0%80", "&", b"action=save"],
    )
    def post_raw(number, content_type, pieces):
        base = _link(app, rid, "invite")
        client = app.test_client()
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', client.get(f"{base}/{number}").text
        ).group(1)
        body = (
            b"csrf_token="
            + token.encode()
            + b"".join(p.encode() if isinstance(p, str) else p for p in pieces)
        )
        with app.app_context():
            before = db_snapshot()
        resp = client.post(f"{base}/{number}", data=body, content_type=content_type)
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
