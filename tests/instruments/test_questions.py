"""Question types: each kind parses, validates, renders and describes itself; bad input gets a
message a person can act on."""

import pytest

from surveyapp.instruments import AboutQuestion, Choice, get_instrument, known_kinds
from surveyapp.instruments.questions import (
    AnswerError,
    ChoiceQuestion,
    LikertItem,
    LocalityQuestion,
    Offer,
    PartnerTypeQuestion,
    asked_questions,
    import_about_answer,
    import_item_answer,
    question_type,
    scale_codes,
)

INSTRUMENT = get_instrument("early-help-pathways@1")
ABOUT = {q.id: q for q in INSTRUMENT.about}
OFFER = Offer(
    partner_types=(("school", "School"), ("health", "Health visiting")),
    localities=(("north", "North"), ("south", "South")),
)


def test_the_registry_maps_each_kind_to_its_class():
    assert known_kinds() == ("partner_type", "locality", "choice")
    assert isinstance(question_type(ABOUT["partner_type"]), PartnerTypeQuestion)
    assert isinstance(question_type(ABOUT["locality"]), LocalityQuestion)
    assert isinstance(question_type(ABOUT["role_level"]), ChoiceQuestion)
    with pytest.raises(ValueError, match="unknown question kind 'slider'"):
        question_type(AboutQuestion("x", "slider", "X"))
    with pytest.raises(ValueError, match="not 'locality'"):
        LocalityQuestion(ABOUT["partner_type"])


def test_partner_type_parses_validates_and_describes():
    q = question_type(ABOUT["partner_type"])
    assert q.parse("  school ") == "school"
    assert q.parse("   ") is None
    assert q.clean("health", OFFER) == "health"
    with pytest.raises(AnswerError) as bad:
        q.clean("police", OFFER)
    assert str(bad.value) == (
        "'police' is not one of the answers to 'Which kind of organisation do you work for?'."
    )
    described = q.describe(OFFER)
    assert described.codes == ("school", "health") and not described.ordered
    assert described.label("health") == "Health visiting"


def test_partner_type_and_locality_are_not_asked_when_the_link_fixes_them():
    fixed = Offer(OFFER.partner_types, OFFER.localities, True, True)
    assert [t.id for t in asked_questions(INSTRUMENT, fixed)] == ["role_level", "training"]
    no_areas = Offer(OFFER.partner_types)
    assert [t.id for t in asked_questions(INSTRUMENT, no_areas)] == [
        "partner_type",
        "role_level",
        "training",
    ]
    assert [t.id for t in asked_questions(INSTRUMENT, OFFER)] == [
        "partner_type",
        "locality",
        "role_level",
        "training",
    ]


def test_partner_type_is_asked_first_whatever_the_file_order():
    about = (ABOUT["locality"], ABOUT["training"], ABOUT["partner_type"])
    reordered = INSTRUMENT.__class__(**{**_fields(INSTRUMENT), "about": about})
    assert [t.id for t in asked_questions(reordered, OFFER)] == [
        "partner_type",
        "locality",
        "training",
    ]


def _fields(instrument):
    return {
        name: getattr(instrument, name)
        for name in (
            "key",
            "version",
            "title",
            "intro",
            "scale",
            "allow_dont_know",
            "minutes",
            "about",
            "domains",
            "items",
            "contrasts",
            "comment",
        )
    }


def test_locality_validates_against_the_round():
    q = question_type(ABOUT["locality"])
    assert q.clean("north", OFFER) == "north"
    with pytest.raises(AnswerError, match="'east' is not one of the answers"):
        q.clean("east", OFFER)
    # A round without localities accepts none.
    with pytest.raises(AnswerError):
        q.clean("north", Offer())


def test_choice_takes_stored_values_and_accepts_labels_in_any_case():
    q = question_type(ABOUT["training"])
    assert q.choices(Offer()) == (("yes", "Yes"), ("no", "No"), ("not_sure", "Not sure"))
    assert q.parse("NOT SURE") == "not_sure"
    assert q.parse(" Yes ") == "yes"
    assert q.clean("no", Offer()) == "no"
    with pytest.raises(AnswerError, match="'maybe' is not one of the answers"):
        q.clean("Maybe", Offer())
    assert q.describe(Offer()).labels == ("Yes", "No", "Not sure")


def test_a_choice_without_a_column_is_not_asked_and_offers_nothing():
    loose = ChoiceQuestion(
        AboutQuestion("shoe_size", "choice", "Shoe size", False, (Choice("9", "9"),))
    )
    assert not loose.asked(OFFER)
    assert loose.choices(OFFER) == ()


def test_the_field_is_what_the_radios_macro_renders():
    field = question_type(ABOUT["role_level"]).field(Offer(), current="manager")
    assert field.name == "role_level" and field.legend == "What is your role?"
    assert field.options == (
        ("frontline", "Frontline practitioner"),
        ("manager", "Supervisor or manager"),
    )
    assert field.current == "manager" and field.hint == "Optional" and not field.dont_know
    required = question_type(ABOUT["partner_type"]).field(OFFER, error="Choose one")
    assert required.hint is None and required.error == "Choose one"


ITEM = INSTRUMENT.item("comm_partners")


@pytest.mark.parametrize(
    "raw,code",
    [
        ("4", "4"),
        (" 1 ", "1"),
        ("strongly AGREE", "5"),
        ("Neither agree nor disagree", "3"),
        ("dk", "dk"),
        ("Don't know", "dk"),
        ("DONT KNOW", "dk"),
        ("don’t know", "dk"),
        ("", None),
    ],
)
def test_likert_parses_codes_labels_and_dont_know(raw, code):
    assert LikertItem.of(INSTRUMENT, ITEM).clean(raw) == code


@pytest.mark.parametrize("raw", ["0", "6", "agree-ish", "4.0", "five"])
def test_likert_refuses_what_is_not_on_the_scale(raw):
    with pytest.raises(AnswerError, match=r"comm_partners .* is not 1-5, a scale label or DK"):
        LikertItem.of(INSTRUMENT, ITEM).clean(raw)


def test_likert_without_dont_know_refuses_it():
    item = LikertItem(ITEM, INSTRUMENT.scale_def, allow_dont_know=False)
    assert item.codes == ("1", "2", "3", "4", "5")
    with pytest.raises(AnswerError, match="is not 1-5, a scale label$"):
        item.clean("dk")


def test_likert_describes_its_scale_in_order_and_stores_codes():
    described = LikertItem.of(INSTRUMENT, ITEM).describe()
    assert described.ordered
    assert described.codes == ("1", "2", "3", "4", "5", "dk")
    assert described.labels[0] == "Strongly disagree" and described.labels[-1] == "Don't know"
    assert LikertItem.stored("dk") == (None, True)
    assert LikertItem.stored("2") == (2, False)
    assert scale_codes(INSTRUMENT) == frozenset(described.codes)


def test_likert_field_offers_the_scale_and_dont_know():
    field = LikertItem.of(INSTRUMENT, ITEM).field(current="5")
    assert field.legend == ITEM.text and field.dont_know
    assert [code for code, _ in field.options] == ["1", "2", "3", "4", "5"]


def test_import_helpers_return_codes_or_the_problem():
    assert import_item_answer(INSTRUMENT, "comm_roles", "Agree") == (4, False)
    assert import_item_answer(INSTRUMENT, "comm_roles", " ") is None
    assert import_item_answer(INSTRUMENT, "comm_roles", "7") == (
        "comm_roles '7' is not 1-5, a scale label or DK"
    )
    assert import_about_answer(ABOUT["training"], "Not sure", Offer()) == ("not_sure", None)
    code, problem = import_about_answer(ABOUT["partner_type"], "police", OFFER)
    assert code is None and "'police' is not one of the answers" in problem


def test_the_scale_says_which_values_are_positive_and_negative():
    scale = INSTRUMENT.scale_def
    assert [scale.level(v) for v in scale.values] == [0, 1, 2, 3, 4]
    assert [scale.label(v) for v in scale.positive] == ["Agree", "Strongly agree"]
    assert [scale.label(v) for v in scale.negative] == ["Strongly disagree", "Disagree"]
