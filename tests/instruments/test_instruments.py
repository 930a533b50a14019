"""The standard instrument ships exactly as product.md section 3 lists it; broken files are
refused with the file and the field named."""

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
