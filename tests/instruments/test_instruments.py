"""The standard instrument ships exactly as product.md section 3 lists it; broken files are
refused with the file and the field named."""

import json
from pathlib import Path

import pytest

from surveyapp.instruments import (
    INSTRUMENT_DIR,
    Instrument,
    InstrumentError,
    get_instrument,
    load_instrument,
)

STANDARD = INSTRUMENT_DIR / "early-help-pathways.v1.toml"

EXPECTED_ITEMS = {
    "communication": ["comm_partners", "comm_feedback", "comm_roles"],
    "pathways": ["path_children", "path_parents", "path_request", "path_advice"],
    "thresholds": ["thr_next_steps", "thr_guidance", "thr_step"],
    "information_sharing": ["info_share"],
    "parental_needs": ["par_domestic_abuse", "par_substance", "par_mental_health"],
    "lead_practitioner": ["lead_role"],
}


def test_standard_instrument_matches_the_spec():
    inst = get_instrument("early-help-pathways")
    assert inst.ref == "early-help-pathways@1"
    assert inst.scale == "agree5" and inst.allow_dont_know
    assert [d.key for d in inst.domains] == list(EXPECTED_ITEMS)
    assert {d: [i.id for i in inst.items_in(d)] for d in EXPECTED_ITEMS} == EXPECTED_ITEMS
    texts = {i.id: i.text for i in inst.items}
    # The seed survey's own statements, word for word.
    assert texts["comm_partners"] == (
        "There is good communication between partners about children receiving early help services"
    )
    assert texts["path_children"] == (
        "I know where to find early help and prevention services in the local area for children"
    )
    assert texts["path_parents"].endswith("in the local area for parents")
    assert texts["thr_next_steps"] == (
        "I know what I should do if the case is not appropriate "
        "for referral to specialist social services"
    )
    assert [(c.key, c.item_a, c.item_b) for c in inst.contrasts] == [
        ("parent_child_gap", "path_children", "path_parents")
    ]
    about = {q.id: q for q in inst.about}
    assert about["partner_type"].required
    assert [c.value for c in about["role_level"].choices] == ["frontline", "manager"]
    assert [c.value for c in about["training"].choices] == ["yes", "no", "not_sure"]
    assert inst.comment.label == "What one thing would most help you support families earlier?"
    assert inst.scale_def.label(3) == "Neither agree nor disagree"


def test_snapshot_round_trip_is_identical():
    inst = get_instrument("early-help-pathways@1")
    assert Instrument.from_dict(inst.to_dict()) == inst
    assert Instrument.from_dict(inst.to_dict()).sha256() == inst.sha256()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = STANDARD.read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    "old,new,message",
    [
        ('id = "comm_feedback"', 'id = "comm_partners"', r"items\[2\]\.id: duplicate item id"),
        ('domain = "thresholds"', 'domain = "threshold"', r"items\[8\]\.domain: unknown domain"),
        ('scale = "agree5"', 'scale = "agree7"', r"scale: unknown scale 'agree7'"),
        (
            'item_b = "path_parents"',
            'item_b = "path_parent"',
            r"contrasts\[1\]\.item_b: names unknown item 'path_parent'",
        ),
        ("version = 1", 'version = "one"', r"version: must be a whole number"),
        ('key = "early-help-pathways"', "", r"key: is missing"),
        ('text = "I would feel able', 'txt = "I would feel able', r"items\[15\]\.text: is missing"),
        (
            'kind = "locality"',
            'kind = "slider"',
            r"about\[2\]\.kind: unknown kind 'slider' \(known: ",
        ),
        ("required = true", "required = 1", r"about\[1\]\.required: must be true or false"),
        ("minutes = 3", "minutes = 0", r"minutes: must be a whole number of at least 1"),
        ("allow_dont_know = true", 'allow_dont_know = "yes"', r"allow_dont_know: must be true"),
        ('id = "role_level"', 'id = "grade"', r"about\[3\]\.choices: a choice question needs"),
        ('title = "Early', 'title = ""\nxtitle = "Early', r"title: must be non-empty text"),
    ],
)
def test_broken_file_names_file_and_field(tmp_path, old, new, message):
    with pytest.raises(InstrumentError, match=r"^broken\.toml: " + message):
        load_instrument(_broken(tmp_path, old, new))


def test_not_toml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("key = [unclosed")
    with pytest.raises(InstrumentError, match=r"^bad\.toml: not valid TOML"):
        load_instrument(path)


def test_unknown_instrument_reference():
    with pytest.raises(InstrumentError, match="no instrument 'early-help-pathways@9'"):
        get_instrument("early-help-pathways@9")


def test_left_out_fields_get_their_defaults_and_choices_come_from_about_py(tmp_path):
    path = _broken(tmp_path, "minutes = 3\n", "")
    path.write_text(path.read_text().replace("allow_dont_know = true\n", ""))
    inst = load_instrument(path)
    assert inst.minutes == 5 and inst.allow_dont_know is True
    role = next(q for q in inst.about if q.id == "role_level")
    assert [(c.value, c.label) for c in role.choices] == [
        ("frontline", "Frontline practitioner"),
        ("manager", "Supervisor or manager"),
    ]


def test_a_snapshot_with_a_broken_choice_is_refused_with_its_place():
    data = json.loads(json.dumps(get_instrument("early-help-pathways@1").to_dict()))
    data["about"][2]["choices"][1] = {"value": "manager"}
    with pytest.raises(
        InstrumentError, match=r"^<snapshot>: about\[3\]\.choices\[2\]\.label: is missing"
    ):
        Instrument.from_dict(data)


def test_a_list_that_is_not_tables_is_refused(tmp_path):
    path = _broken(tmp_path, "minutes = 3\n", 'minutes = 3\ncontrasts = "none"\n')
    path.write_text(path.read_text().replace("[[contrasts]]", "[x]"))
    with pytest.raises(
        InstrumentError, match=r"^broken\.toml: contrasts: must be a list of tables \(\[\[contrasts"
    ):
        load_instrument(path)
