"""Forms for running rounds. Types and required-ness are checked here; the rules live in the
services, whose :class:`~surveyapp.services.ServiceError` the views show next to the field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from surveyapp.instruments import Domain
from surveyapp.services import ServiceError, ServiceErrors
from surveyapp.services.rounds import EmailWording, RoundSettings


class CheckboxesField(SelectMultipleField):
    """A set of checkboxes (one value each) instead of a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" message says what to type."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(
            label,
            validators=[InputRequired(message), NumberRange(min=0, max=100_000, message=message)],
            **kwargs,
        )
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None


class DayField(DateField):
    """A date typed as YYYY-MM-DD (the browser's date picker sends that)."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a real date, for example 2026-11-30") from None


class RoundForm(FlaskForm):
    """All the settings of a round; signpost fields are added per domain by :func:`round_form`."""

    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title for the round"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
    )
    instrument = SelectField("Questionnaire", validators=[DataRequired("Choose a questionnaire")])
    opens_on = DayField("Opening date")
    closes_on = DayField("Closing date")
    partner_types = CheckboxesField("Partner types to survey")
    localities = CheckboxesField("Localities")
    new_localities = StringField("Add localities", validators=[Length(max=1000)])
    min_group_size = WholeNumberField(
        "Minimum reporting group size",
        "Enter the minimum group size as a whole number, such as 10",
        default=10,
    )
    compared_round_id = SelectField("Compare results with")
    thank_you_message = TextAreaField("Thank-you message", validators=[Length(max=5000)])
    results_message = TextAreaField(
        "When and how results will be shared", validators=[Length(max=5000)]
    )
    reminder_gap_days = WholeNumberField(
        "Days between reminders", "Enter the number of days as a whole number, such as 7", default=7
    )
    max_reminders = WholeNumberField(
        "Most reminders per person",
        "Enter the number of reminders as a whole number, such as 2",
        default=2,
    )
    invitation_subject = StringField("Invitation subject")
    invitation_body = TextAreaField("Invitation wording")
    reminder_subject = StringField("Reminder subject")
    reminder_body = TextAreaField("Reminder wording")

    #: Set by :func:`round_form`: the domains that have signpost fields.
    domains: tuple[Domain, ...] = ()

    def signpost_fields(self) -> list[tuple[Domain, Field, Field]]:
        return [
            (d, self[f"signpost_{d.key}_label"], self[f"signpost_{d.key}_url"])
            for d in self.domains
        ]

    def fill_from(self, settings: RoundSettings) -> None:
        """Show a round's current settings (on GET)."""
        self.title.data = settings.title
        self.instrument.data = settings.instrument_ref
        self.opens_on.data, self.closes_on.data = settings.opens_on, settings.closes_on
        self.partner_types.data = list(settings.partner_type_slugs)
        self.localities.data = list(settings.locality_names)
        self.min_group_size.data = settings.min_group_size
        self.compared_round_id.data = str(settings.compared_round_id or "")
        self.thank_you_message.data = settings.thank_you_message
        self.results_message.data = settings.results_message
        self.reminder_gap_days.data = settings.reminder_gap_days
        self.max_reminders.data = settings.max_reminders
        for name in EmailWording.__dataclass_fields__:
            self[name].data = getattr(settings.wording, name)
        for domain, label, url in self.signpost_fields():
            value = settings.signposts.get(domain.key) or {}
            label.data, url.data = value.get("label", ""), value.get("url", "")

    def fill_wording_defaults(self) -> None:
        """Start a new round with the standard email wording, for the lead to adapt."""
        for name in EmailWording.__dataclass_fields__:
            self[name].data = getattr(EmailWording(), name)

    @staticmethod
    def _number(f: Field) -> int:
        """The field's whole number, or its default while it has an error of its own."""
        return f.data if isinstance(f.data, int) and not f.errors else int(f.default)

    def settings(self) -> RoundSettings:
        """The submitted settings (after :meth:`validate`)."""
        new = [n.strip() for n in (self.new_localities.data or "").split(",") if n.strip()]
        signposts: dict[str, Any] = {}
        for domain, label, url in self.signpost_fields():
            if (label.data or "").strip() or (url.data or "").strip():
                signposts[domain.key] = {"label": label.data or "", "url": url.data or ""}
        return RoundSettings(
            title=self.title.data or "",
            instrument_ref=self.instrument.data or "",
            opens_on=self.opens_on.data,
            closes_on=self.closes_on.data,
            partner_type_slugs=tuple(self.partner_types.data or ()),
            locality_names=tuple(dict.fromkeys([*(self.localities.data or ()), *new])),
            min_group_size=self._number(self.min_group_size),
            compared_round_id=int(self.compared_round_id.data)
            if (self.compared_round_id.data or "").isdecimal() and not self.compared_round_id.errors
            else None,
            signposts=signposts,
            thank_you_message=self.thank_you_message.data or "",
            results_message=self.results_message.data or "",
            reminder_gap_days=self._number(self.reminder_gap_days),
            max_reminders=self._number(self.max_reminders),
            wording=EmailWording(
                **{n: self[n].data or "" for n in EmailWording.__dataclass_fields__}
            ),
        )


def round_form(domains: tuple[Domain, ...], **kwargs: Any) -> RoundForm:
    """A round form with a label and an address field for each domain's signpost link."""

    class _Form(RoundForm):
        pass

    for domain in domains:
        setattr(
            _Form,
            f"signpost_{domain.key}_label",
            StringField("Link text", validators=[Length(max=120)]),
        )
        setattr(
            _Form,
            f"signpost_{domain.key}_url",
            StringField("Web address", validators=[Length(max=500)]),
        )
    _Form.domains = domains
    return _Form(**kwargs)


class InvitationsUploadForm(FlaskForm):
    file = FileField("CSV file of people to invite")


class OpenLinkEditForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for the link"), Length(max=120)],
    )
    shared_device = BooleanField("Allow several responses from one device (a shared tablet)")


class OpenLinkForm(OpenLinkEditForm):
    #: Blank gives "Open link N".
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    partner_type = SelectField("Partner type", validators=[Optional()])
    locality = SelectField("Locality", validators=[Optional()])


class PublishForm(FlaskForm):
    actions_text = TextAreaField(
        "What you will do (“we did”)",
        validators=[
            DataRequired("Enter what you will do in response to what partners said"),
            Length(max=10_000),
        ],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class QuoteForm(FlaskForm):
    """A comment published as a quote: the words to publish (edited to take out names and
    places) and whether the public summary shows it too."""

    text = TextAreaField(
        "Words to publish",
        validators=[DataRequired("Enter the words to publish"), Length(max=1000)],
    )
    public = BooleanField("Also include it in the public summary")


def show_service_error(form: FlaskForm, exc: ServiceError) -> None:
    """Put a service's message (or each of several) next to the field it names, or at the top of
    the form."""
    for error in exc.errors if isinstance(exc, ServiceErrors) else [exc]:
        message = error.message[:1].upper() + error.message[1:]
        if error.field and error.field in form._fields:
            form[error.field].errors = [*form[error.field].errors, message]
        else:
            form.form_errors.append(message)


def show_service_errors(form: FlaskForm, errors: list[ServiceError]) -> None:
    """Add the service's problems to a form that failed its own checks, so every problem shows
    at once; a field that already has a message keeps just that one."""
    for error in errors:
        if error.field and error.field in form._fields and form[error.field].errors:
            continue
        show_service_error(form, error)
