import functools
import operator
import re
import secrets
import time
import unicodedata
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.widgets import LazySelect

from .letters import check_letter_on_form
from .models import MAX_SUPPLIER_FACTORIES, MembershipApplication

FORM_STARTED_SALT = "membership.application.started"

# Digits with the separators people write: +86 755 1234 5678, (852) 2345-6789 ext. 12, 020.7946.0000 x3.
PHONE_PATTERN = re.compile(r"^\+?[\d\s().\-/]{6,30}(\s*(ext\.?|extension|x|#|转|分机)\s*\d{1,6})?$", re.IGNORECASE)


def sign_form_started(at=None):
    """A tamper-proof note of when the form was shown, for the hidden `form_started` field. The random part makes
    each page load's token its own: an application saves its token, and a token saves one application."""
    return signing.dumps([time.time() if at is None else at, secrets.token_hex(8)], salt=FORM_STARTED_SALT)


def form_started_at(token):
    """When the page holding this token was shown (a float), or BadSignature/TypeError/ValueError."""
    payload = signing.loads(token or "", salt=FORM_STARTED_SALT)
    # Pages rendered before tokens carried a random part hold the time alone.
    return float(payload[0] if isinstance(payload, list) else payload)


def validate_single_line(value):
    # Line breaks and other control characters have no place in a name, and would break email headers.
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise ValidationError(_("Please use letters, numbers and punctuation only, on one line."), code="control")


def validate_text(value):
    if any(unicodedata.category(character) == "Cc" and character not in "\r\n\t" for character in value):
        raise ValidationError(_("This text contains characters we cannot store."), code="control")


def validate_phone(value):
    digits = sum(character.isdigit() for character in value)
    if not PHONE_PATTERN.match(value) or not 6 <= digits <= 20:
        raise ValidationError(
            _("Enter a phone number with its country code, for example +86 755 1234 5678."), code="phone"
        )


class Section(NamedTuple):
    title: str
    fields: list
    # Name, job title and email are asked of two people: the error summary says whose answer is wrong.
    person: str = ""


# The form's fields, grouped as the page shows them, each group under a heading.
APPLICATION_SECTIONS = [
    Section(_("Your company"), ["company_name", "brand_names", "website", "headquarters_country", "company_type"]),
    Section(
        _("What you source"), ["product_categories", "annual_sales", "supplier_factory_count", "supplier_countries"]
    ),
    Section(
        _("Main contact"),
        ["contact_name", "contact_job_title", "contact_email", "contact_phone"],
        person=_("Main contact"),
    ),
    Section(
        _("Senior executive who will sign the letter of support"),
        ["executive_name", "executive_title", "executive_email"],
        person=_("Senior executive"),
    ),
    Section(_("Signed letter of support"), ["letter"]),
    Section(_("About you"), ["toy_association_member", "toy_association_name", "heard_from", "message"]),
    Section(_("Commitments"), ["agrees_to_principles", "consents_to_privacy_notice", "consents_to_transfer_abroad"]),
]
APPLICATION_FIELDS = [name for section in APPLICATION_SECTIONS for name in section.fields]


# Django's own messages, in the site's words: each names the field as its label does ("the company legal name").
ENTER = _("Enter the %(field)s.")
CHOOSE = _("Choose the %(field)s.")
EMAIL = _("Enter the %(field)s as an address like name@example.com.")
URL = _("Enter the %(field)s as an address like https://example.com.")
WHOLE_NUMBER = _("Enter the %(field)s as a whole number.")
WHOLE_NUMBER_IN_RANGE = _("Enter the %(field)s as a whole number from %(min)s to %(max)s.")
TOO_LONG = _("The %(field)s can be at most %(limit)s characters.")
# For a value none of a field's options has: a forged request, or a page older than the choices.
ONE_OF_THE_OPTIONS = _("Choose one of the options listed.")
# A message filled in when shown, in the visitor's language: the fields get their messages once, not per form.
in_words = lazy(operator.mod, str)


def djangos_message(field, code):
    """The message Django's field classes give for `code`, or None when only a validator has one."""
    for field_class in type(field).__mro__:
        if code in vars(field_class).get("default_error_messages", {}):
            return field_class.default_error_messages[code]
    return None


def messages_in_site_words(field, name_in_sentence):
    """A message for every mistake Django could report on this field, in the page's language."""
    words = {"field": name_in_sentence}
    messages = {"required": in_words(CHOOSE if isinstance(field, forms.ChoiceField) else ENTER, words)}
    if isinstance(field, forms.ChoiceField):
        messages["invalid_choice"] = ONE_OF_THE_OPTIONS
    if isinstance(field, forms.MultipleChoiceField):
        messages["invalid_list"] = ONE_OF_THE_OPTIONS
    if isinstance(field, forms.EmailField):
        messages["invalid"] = in_words(EMAIL, words)
    if isinstance(field, forms.URLField):
        messages["invalid"] = in_words(URL, words)
    if isinstance(field, forms.IntegerField):
        if field.min_value is None or field.max_value is None:
            number = in_words(WHOLE_NUMBER, words)
        else:
            number = in_words(
                WHOLE_NUMBER_IN_RANGE, {**words, "min": f"{field.min_value:,}", "max": f"{field.max_value:,}"}
            )
        messages.update(invalid=number, min_value=number, max_value=number)
    if getattr(field, "max_length", None):
        messages["max_length"] = in_words(TOO_LONG, {**words, "limit": f"{field.max_length:,}"})
    return messages


def speak_in_site_words(field, name_in_sentence):
    """Replaces Django's messages on a field with the site's; the messages a form declares stay."""
    for code, message in messages_in_site_words(field, name_in_sentence).items():
        if field.error_messages.get(code) is djangos_message(field, code):
            field.error_messages[code] = message
    # validate_single_line and validate_text refuse NUL along with every other control character, in our words.
    field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]


def attributes(attrs):
    """Django's forms/widgets/attrs.html in Python: in order, True ones by name alone, False ones left out."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class OptionsMadeOnce:
    """A country list's options, each made once per language, name and attributes in a process (chosen and not), as
    the blank form is: a form sent back with a mistake picks them by what was chosen. With Django's templates (one
    included per option, attributes in a loop) the two lists' ~500 options took tens of milliseconds to render."""

    made = {}

    def option_html(self, option):
        raise NotImplementedError

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # not ChoiceWidget's: no option dictionaries
        key = (
            type(self),
            get_language(),
            name,
            tuple(context["widget"]["attrs"].items()),
            tuple(getattr(self, "common", ())),
        )
        if key not in self.made:
            self.made[key] = [
                (
                    str(group) if group else group,
                    [
                        (
                            str(option["value"]),
                            self.option_html(option),
                            self.option_html({**option, "attrs": {**option["attrs"], **self.checked_attribute}}),
                        )
                        for option in options
                    ],
                    index,
                )
                for group, options, index in self.optgroups(name, [], attrs)
            ]
        chosen = set(context["widget"]["value"])
        context["widget"]["optgroups"] = [
            (
                group,
                [
                    {"selected": code in chosen, "html": chosen_html if code in chosen else html}
                    for code, html, chosen_html in options
                ],
                index,
            )
            for group, options, index in self.made[key]
        ]
        return context


class CountrySelect(OptionsMadeOnce, LazySelect):
    """django-countries' drop-down of the ~250 countries."""

    template_name = "membership/widgets/country_select.html"

    def option_html(self, option):
        return format_html(
            '<option value="{}"{}>{}</option>', option["value"], attributes(option["attrs"]), option["label"]
        )


class CountryCheckboxes(OptionsMadeOnce, forms.CheckboxSelectMultiple):
    """The countries most suppliers are in, as checkboxes; every other country in a list that unfolds.

    Without JavaScript: the browser's find-in-page opens the folded list at the country searched for.
    """

    template_name = "membership/widgets/country_checkboxes.html"

    def __init__(self, common, attrs=None):
        super().__init__(attrs)
        self.common = common

    def optgroups(self, name, value, attrs=None):
        # Two groups, so the first checkbox (the error summary's link) is the first common country, not Afghanistan.
        labels = {str(code): label for code, label in self.choices}
        common = [code for code in self.common if code in labels]
        others = [code for code in labels if code not in self.common]
        groups = []
        for index, (group, codes) in enumerate([("", common), (_("Other countries"), others)]):
            options = [
                self.create_option(name, code, labels[code], code in value, index, subindex, attrs)
                for subindex, code in enumerate(codes)
            ]
            groups.append((group, options, index))
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        _common, (_group, others, _index) = context["widget"]["optgroups"]
        # A country chosen from the folded list stays in sight when the form comes back.
        context["widget"]["others_chosen"] = any(option["selected"] for option in others)
        return context

    def option_html(self, option):
        """Django's checkbox_option.html and the three templates it includes, as one string."""
        label_for = format_html(' for="{}"', option["attrs"]["id"]) if option["attrs"].get("id") else ""
        return format_html(
            '<label{}><input type="{}" name="{}" value="{}"{}> {}</label>',
            label_for,
            option["type"],
            option["name"],
            option["value"],
            attributes(option["attrs"]),
            option["label"],
        )


# Where most toys are made, first in the list of supplier countries.
COMMON_SUPPLIER_COUNTRIES = ["CN", "VN", "IN", "ID", "BD", "TH", "MY", "MX", "TR", "KH"]


class MembershipApplicationForm(forms.ModelForm):
    """The public application; everything a visitor sends is checked here, with errors in their language."""

    # Radio buttons need no empty choice; a drop-down's empty choice asks for an answer.
    company_type = forms.ChoiceField(
        label=MembershipApplication.field_label("company_type"),
        choices=MembershipApplication.CompanyType.choices,
        widget=forms.RadioSelect,
    )
    annual_sales = forms.ChoiceField(
        label=MembershipApplication.field_label("annual_sales"),
        choices=[("", _("Choose one")), *MembershipApplication.SalesBand.choices],
        error_messages={"required": _("Choose the range of your annual sales.")},
    )
    # The applicant is asked a question where staff read a fact.
    heard_from = forms.ChoiceField(
        label=_("How did you hear about the programme?"),
        choices=[("", _("Choose one")), *MembershipApplication.HeardFrom.choices],
        error_messages={"required": _("Tell us how you heard about the programme.")},
    )
    product_categories = forms.MultipleChoiceField(
        label=MembershipApplication.field_label("product_categories"),
        choices=MembershipApplication.ProductCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every category you make, buy or sell."),
        error_messages={
            "required": _("Choose at least one product category."),
            "invalid_choice": _("Choose product categories from the list only."),
        },
    )
    toy_association_member = forms.TypedChoiceField(
        label=_("Is your company a member of a national toy association?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether you belong to a national toy association.")},
    )
    agrees_to_principles = forms.BooleanField(
        label=_(
            "We agree to the Buyer Membership Principles and will send a letter of support signed by our senior "
            "executive."
        ),
        error_messages={"required": _("To apply, your company must agree to the Buyer Membership Principles.")},
    )
    consents_to_privacy_notice = forms.BooleanField(
        label=_(
            "I consent to IETP storing and using these details to review our application, as described in the "
            "privacy notice."
        ),
        help_text=_("The privacy notice is linked at the top of this page and at the foot of every page."),
        error_messages={"required": _("We need your consent to the privacy notice to review your application.")},
    )
    # PIPL: a consent of its own, asked of every applicant and required of those headquartered in mainland China.
    consents_to_transfer_abroad = forms.BooleanField(
        required=False,
        label=_(
            "I consent to these details being transferred outside mainland China, to be stored and used as the "
            "privacy notice describes."
        ),
        help_text=_("Required if your company is headquartered in mainland China."),
    )
    # Hidden from people by CSS; software that fills in every field gives itself away here.
    fax = forms.CharField(
        required=False,
        max_length=100,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = MembershipApplication
        fields = APPLICATION_FIELDS
        # "example.com" is taken as https://example.com.
        field_classes = {
            "website": functools.partial(forms.URLField, assume_scheme="https"),
            "supplier_factory_count": functools.partial(forms.IntegerField, max_value=MAX_SUPPLIER_FACTORIES),
        }
        help_texts = {
            "executive_email": _("We send the letter of support to this person for signature."),
            "message": _("Optional, up to 5,000 characters."),
            "letter": _(
                "Optional: if your executive has signed it already, a PDF, or a photo or scan in JPEG or PNG, of at "
                "most 10 MB. Or send it later: the confirmation email has a link to upload it."
            ),
            "toy_association_name": _("Only if you answered yes above."),
            "supplier_countries": _(
                "Choose every country where your supplier factories are; the rest of the world is under “Other "
                "countries”."
            ),
        }
        widgets = {
            "company_name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
            "headquarters_country": CountrySelect(attrs={"autocomplete": "country"}),
            "supplier_factory_count": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "supplier_countries": CountryCheckboxes(common=COMMON_SUPPLIER_COUNTRIES),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            "contact_phone": forms.TelInput(attrs={"autocomplete": "tel"}),
            # Someone else's details: the browser must not offer the applicant's own.
            "executive_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "executive_title": forms.TextInput(attrs={"autocomplete": "off"}),
            "executive_email": forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "message": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "supplier_countries": {
                "invalid_choice": _("Choose countries from the list only."),
                "required": _("Choose at least one country where your supplier factories are."),
            },
        }

    template_name = "membership/application_fields.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown empty, as every visitor first sees it (CreateView passes None or {} for what it does not use).
        self.is_blank = not args and all(value is None or value == {} for value in kwargs.values())
        # A fresh timestamp every time the page is rendered: a visitor correcting mistakes starts again from now.
        self.started_token = sign_form_started()

    def full_clean(self):
        super().full_clean()
        # A browser never sends a file back: a letter on a form with other mistakes must be chosen again.
        if self.errors and self.files.get("letter") and "letter" not in self.errors:
            # The bound field keeps its own copy of the help text, made while cleaning.
            self["letter"].help_text = _(
                "The letter is looked at only once every other answer is right, and it is not kept until then: "
                "please choose it again."
            )

    @property
    def grouped_sections(self):
        return [(section.title, [self[name] for name in section.fields]) for section in APPLICATION_SECTIONS]

    def render(self, template_name=None, context=None, renderer=None):
        """The fields, grouped under their headings. A form not sent back looks the same to every visitor in a
        language (its two country lists alone are 500 options): it is rendered once per language and process."""
        if not self.is_blank or template_name or context or renderer:
            return super().render(template_name, context, renderer)
        return blank_form_html(type(self), get_language())

    __str__ = __html__ = render  # as Django's forms do: their own are bound to their render()

    def caught_in_honeypot(self):
        return bool(self.data.get("fax"))

    def time_taken_error(self):
        """Why the hidden timestamp is not acceptable, or None: forged, stale, or faster than a person types."""
        token = self.data.get("form_started") or ""
        try:
            started = form_started_at(token)
        except (signing.BadSignature, TypeError, ValueError, IndexError):
            return _("Something went wrong with the form. Please check your answers and submit it again.")
        sent_from_this_page = MembershipApplication.objects.filter(form_token=token)
        if sent_from_this_page.exists() and not sent_from_this_page.recent_from(self.data.get("contact_email", "")):
            # A page sends one application. The same one sent again (a double click) is told it is already
            # received; the page used for another application, or days later, is refused.
            return _("This form has already been sent once. Please check your answers and submit it again.")
        elapsed = time.time() - started
        if elapsed > settings.MEMBERSHIP_FORM_MAX_AGE_SECONDS:
            return _("This form was open for a long time. Please check your answers and submit it again.")
        if elapsed < settings.MEMBERSHIP_MIN_SECONDS_TO_SUBMIT:
            return _("That was quicker than we expected. Please check your answers and submit the form again.")
        return None

    def clean_product_categories(self):
        # Stored in the order of the list, whatever order the browser sent.
        chosen = set(self.cleaned_data["product_categories"])
        return [code for code, _label in MembershipApplication.ProductCategory.choices if code in chosen]

    def clean(self):
        cleaned_data = super().clean()
        if error := self.time_taken_error():
            raise ValidationError(error, code="time_taken")
        self.instance.form_token = self.data["form_started"]
        if cleaned_data.get("toy_association_member") is False:
            cleaned_data["toy_association_name"] = ""
        if cleaned_data.get("headquarters_country") == "CN" and not cleaned_data.get("consents_to_transfer_abroad"):
            self.add_error(
                "consents_to_transfer_abroad",
                ValidationError(
                    _(
                        "Companies headquartered in mainland China must consent to the transfer of these details "
                        "outside mainland China before we can review the application."
                    ),
                    code="required",
                ),
            )
        # Last, and only if every other answer is right: a form sent back with mistakes never looks at the file.
        check_letter_on_form(self)
        return cleaned_data

    def error_summary(self):
        """(field id, message) for every error, in page order, for the summary above the form.

        The messages name their fields; a person's answers also say whose they are ("Senior executive: ...").
        """
        summary = [("", message) for message in self.non_field_errors()]
        for section in APPLICATION_SECTIONS:
            for bound in (self[name] for name in section.fields if name in self.errors):
                # A group of choices is reached through its first choice.
                anchor = bound.subwidgets[0].id_for_label if bound.field.widget.use_fieldset else bound.id_for_label
                for message in bound.errors:
                    if section.person:
                        message = _("%(person)s: %(message)s") % {"person": section.person, "message": message}
                    summary.append((anchor, message))
        return summary


def prepare_fields(fields):
    """What every application form's fields share, set once on the class's fields (each form copies them)."""
    # Every text answer but the message fits on one line.
    for name, field in fields.items():
        if isinstance(field, forms.CharField) and name != "message":
            field.validators.append(validate_single_line)
    fields["message"].validators.append(validate_text)
    fields["contact_phone"].validators.append(validate_phone)
    # The empty choice asks for an answer, as the other drop-downs do, rather than showing "---------"; the
    # countries are listed when needed, in the visitor's language.
    fields["headquarters_country"].choices = lambda: [("", _("Choose one")), *countries]
    for name in APPLICATION_FIELDS:
        speak_in_site_words(fields[name], MembershipApplication._meta.get_field(name).verbose_name)


prepare_fields(MembershipApplicationForm.base_fields)


@functools.cache
def blank_form_html(form_class, language):
    """A blank form's fields in a language, rendered once (see MembershipApplicationForm.render)."""
    return super(MembershipApplicationForm, form_class()).render()


class LetterUploadForm(forms.ModelForm):
    """The page the confirmation email links to, for a letter not sent with the application."""

    class Meta:
        model = MembershipApplication
        fields = ["letter"]
        help_texts = {"letter": _("A PDF, or a photo or scan in JPEG or PNG, of at most 10 MB.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].required = True
        self.fields["letter"].error_messages["required"] = _("Choose the signed letter to upload.")

    def clean(self):
        cleaned_data = super().clean()
        check_letter_on_form(self)
        return cleaned_data
