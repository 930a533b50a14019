"""CSV files under random and hostile content: the invitations upload (web and command line)
and ``responses import``. Never a 500 or a traceback; a refused file adds nothing; an accepted
one adds exactly its rows."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import event, example, given
from hypothesis import strategies as st

from surveyapp.extensions import db
from surveyapp.models import Answer, Invitation, Response
from surveyapp.services.users import normalise_email, valid_email
from tests.fuzz.strategies import (
    FUZZ,
    SCRIPT,
    assert_no_reflected_script,
    changed_tables,
    db_snapshot,
    hostile_text,
    rarely,
)
from tests.web.respond_helpers import PAGES

ITEMS = [item for page in PAGES for item in page]
LABELS = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "agree": 4,
    "strongly agree": 5,
}
DONT_KNOW = {"dk", "don't know", "dont know", "don’t know"}


@st.composite
def csv_files(
    draw,
    required: list[str],
    optional: list[str],
    cells: dict[str, tuple[list[str], list[str]]],
    unique: str = "",
) -> bytes:
    """A CSV file. Half are clean: the right columns in any order, proper cells, UTF-8 with or
    without a BOM. The rest add hostile cells, repeated, renamed or unknown columns, short rows,
    a broken quote, another encoding, or are nothing but random bytes. ``cells`` maps a column
    to (proper values, bad values); a clean file never repeats a value of the ``unique``
    column."""
    clean = draw(st.booleans())
    if not clean and draw(rarely()):
        return draw(st.binary(max_size=300))
    header = draw(
        st.permutations(required + draw(st.lists(st.sampled_from(optional), unique=True)))
    )
    if not clean and draw(rarely(3)):
        header = [*header, draw(st.one_of(st.sampled_from(header), hostile_text))]
    if not clean and draw(rarely(3)):
        header[0] = draw(st.sampled_from([header[0].upper(), f" {header[0]} ", SCRIPT]))

    def cell(name: str) -> str:
        good, bad = cells.get(name, ([""], []))
        if not clean and draw(rarely(4)):
            return draw(st.one_of(st.sampled_from(bad or [""]), hostile_text))
        return draw(st.sampled_from(good))

    rows = [[cell(name) for name in header] for _ in range(draw(st.integers(1, 5)))]
    if clean and unique in header:
        seen: set[str] = set()
        column = header.index(unique)
        rows = [
            r
            for r in rows
            if not (r[column].strip().lower() in seen or seen.add(r[column].strip().lower()))
        ]
    if not clean and draw(rarely()):
        rows[-1] = rows[-1][:-1]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writerows([header, *rows])
    text = buffer.getvalue()
    if not clean and draw(rarely()):
        text = text.replace('"', "", 1) + '"unclosed'
    encoding = draw(
        st.sampled_from(
            ["utf-8", "utf-8-sig"]
            if clean
            else ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]
        )
    )
    return text.encode(encoding, errors="replace")


def _rows(content: bytes) -> tuple[list[str], list[list[str]]]:
    """The header (as the app reads it) and the non-blank rows of an accepted file."""
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header = [h.strip() for h in next(reader)]
    return header, [r for r in reader if any(c.strip() for c in r)]


# --- invitations ---------------------------------------------------------------------------------
invitation_files = csv_files(
    ["email", "partner_type"],
    ["locality"],
    {
        "email": (
            [f"person{n}@example.org" for n in range(40)]
            + ["PERSON1@Example.org ", "é@exämple.org"],
            ["no-at-sign", "a@b", "", "=cmd|' /C calc'!A0@x.example", f"{SCRIPT}@x.example"],
        ),
        "partner_type": (["police", "school", "SCHOOL "], ["gp", "", SCRIPT]),
        "locality": (["North", "south", ""], ["Nowhere", SCRIPT]),
    },
    unique="email",
)
INVITATION_EXAMPLES = [
    b"email,partner_type\nperson1@example.org,school\nperson1@example.org,police\n",
    "\ufeffemail,partner_type,locality\nperson2@example.org,police,north\n".encode(),
    b"email,partner_type\nx\x00@y.example,school\n",
    b"email,email,partner_type\na@b.example,c@d.example,school\n",
    b"email,partner_type\n<script>alert(1)</script>@x.example,<script>alert(1)</script>\n",
    "email,partner_type\nperson3@example.org,school\n".encode("utf-16"),
]


def _check_invitations(app, content: bytes, accepted: bool, before, after, reported: int):
    if not accepted:
        assert after == before
        return
    assert changed_tables(before, after) <= {"invitations", "audit_events"}
    header, rows = _rows(content)
    column = [h.lower() for h in header].index("email")
    emails = {normalise_email(r[column]) for r in rows}
    assert all(valid_email(e) for e in emails)
    with app.app_context():
        stored = set(db.session.scalars(sa.select(Invitation.email)))
    added = len(after["invitations"]) - len(before["invitations"])
    assert added == reported
    assert emails <= stored


@pytest.fixture
def invitations_round(make_round) -> int:
    return make_round(
        open_=True, partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )


def test_invitations_upload(app, client, make_user, login, invitations_round):
    login(make_user("lead"))
    url = f"/rounds/{invitations_round}/invitations"

    @FUZZ
    @given(content=invitation_files, filename=st.one_of(st.just("people.csv"), hostile_text))
    @example(content=INVITATION_EXAMPLES[0], filename="people.csv")
    @example(content=INVITATION_EXAMPLES[1], filename="a\x00.csv")
    @example(content=INVITATION_EXAMPLES[2], filename="people.csv")
    @example(content=INVITATION_EXAMPLES[3], filename=SCRIPT)
    @example(content=INVITATION_EXAMPLES[4], filename="people.csv")
    @example(content=INVITATION_EXAMPLES[5], filename="people.csv")
    def upload(content, filename):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).text)
        with app.app_context():
            before = db_snapshot()
        resp = client.post(
            url,
            data={"csrf_token": token.group(1), "file": (io.BytesIO(content), filename)},
            content_type="multipart/form-data",
        )
        event(f"status {resp.status_code}")
        assert resp.status_code in (302, 400, 413)
        assert_no_reflected_script(resp)
        with app.app_context():
            after = db_snapshot()
        reported = 0
        if resp.status_code == 302:
            page = client.get(url)
            assert_no_reflected_script(page)
            reported = int(re.search(r"(\d+) (?:person|people) added", page.text).group(1))
        _check_invitations(app, content, resp.status_code == 302, before, after, reported)

    upload()


def _command(app, runner, args: list[str], path, content: bytes):
    """Run a CLI command on ``content`` saved at ``path``: (result, snapshot before, after).
    It ends cleanly: success, or exit 1 with an ``Error:`` line, never a traceback."""
    path.write_bytes(content)
    with app.app_context():
        before = db_snapshot()
    result = runner.invoke(args=[*args, str(path)])
    event(f"exit {result.exit_code}")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1)
    if result.exit_code:
        assert "Error: " in result.output
    with app.app_context():
        after = db_snapshot()
    return result, before, after


def test_invitations_add_command(app, runner, invitations_round, tmp_path):
    @FUZZ
    @given(content=invitation_files)
    @example(content=INVITATION_EXAMPLES[0])
    @example(content=INVITATION_EXAMPLES[2])
    def add(content):
        result, before, after = _command(
            app,
            runner,
            ["invitations", "add", str(invitations_round)],
            tmp_path / "people.csv",
            content,
        )
        reported = 0
        if result.exit_code == 0:
            reported = int(re.search(r"Added (\d+) invitation", result.output).group(1))
        _check_invitations(app, content, result.exit_code == 0, before, after, reported)

    add()


# --- responses import -----------------------------------------------------------------------------
def _value(text: str) -> tuple[int | None, bool] | None:
    """What an import cell means, by the README's rules (None: skipped)."""
    text = text.strip().lower()
    if not text:
        return None
    if text in DONT_KNOW:
        return (None, True)
    if text in {"1", "2", "3", "4", "5"}:
        return (int(text), False)
    return (LABELS[text], False)


import_files = csv_files(
    ["partner_type", *ITEMS[:3]],
    ["locality", "role_level", "training", *ITEMS[3:6]],
    {
        "partner_type": (["school", "police"], ["gp", "", "School"]),
        "locality": (["North", "south", "", "Lower Town"], ["!!!", "x" * 130, SCRIPT]),
        "role_level": (["frontline", "manager", ""], ["boss"]),
        "training": (["yes", "no", "not_sure", ""], ["maybe"]),
        **{
            item: (
                [
                    "1",
                    "2",
                    "3",
                    "4",
                    "5",
                    " 5 ",
                    "Agree",
                    "STRONGLY DISAGREE",
                    "neither agree nor disagree",
                    "DK",
                    "Don't know",
                    "dont know",
                    "",
                ],
                ["0", "6", "2.0", "=1+1", "+4", SCRIPT],
            )
            for item in ITEMS[:6]
        },
    },
)
IMPORT_EXAMPLES = [
    b"partner_type,locality,comm_partners\nschool,!!!,4\n",
    ("partner_type,locality,comm_partners\nschool," + "x" * 130 + ",4\n").encode(),
    b"partner_type,locality,comm_partners\nschool,North\x00,4\n",
    b"partner_type,comm_partners,comm_partners\nschool,4,5\n",
    "\ufeffpartner_type,comm_partners,path_children\npolice,Agree,DK\nschool,=1+1,5\n".encode(),
    b"partner_type,locality,comm_partners\nschool,North,4\nschool,north,5\n",
]


def test_responses_import_command(app, runner, make_round, tmp_path):
    """A round without a fixed list of localities, so the file's localities are created."""
    rid = make_round(partner_type_slugs=["school", "police"])

    @FUZZ
    @given(content=import_files)
    @example(content=IMPORT_EXAMPLES[0])
    @example(content=IMPORT_EXAMPLES[1])
    @example(content=IMPORT_EXAMPLES[2])
    @example(content=IMPORT_EXAMPLES[3])
    @example(content=IMPORT_EXAMPLES[4])
    @example(content=IMPORT_EXAMPLES[5])
    def import_(content):
        result, before, after = _command(
            app, runner, ["responses", "import", str(rid)], tmp_path / "responses.csv", content
        )
        if result.exit_code != 0:
            assert after == before
            return
        assert changed_tables(before, after) <= {
            "responses",
            "answers",
            "import_batches",
            "localities",
            "rounds",
            "audit_events",
        }
        header, rows = _rows(content)
        reported = int(re.search(r"Imported (\d+) responses", result.output).group(1))
        assert reported == len(rows)
        expected = Counter(
            _value(row[i]) for row in rows for i, h in enumerate(header) if h in ITEMS
        ) - Counter({None: 10**6})
        with app.app_context():
            new = set(db.session.scalars(sa.select(Response.id))) - {
                int(r.split(",")[0].strip("(")) for r in before["responses"]
            }
            assert len(new) == reported
            got = Counter(
                (a.value, a.dont_know)
                for a in db.session.scalars(sa.select(Answer).where(Answer.response_id.in_(new)))
            )
        assert got == expected

    import_()
