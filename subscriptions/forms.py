from django import forms
from django.core.validators import validate_email
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from news.models import NewsStory

from .models import Subscriber

INVALID = _("Enter a valid email address, such as name@example.org.")
# RFC 5321: a forward path holds at most 256 characters, two of them the angle brackets.
LONGEST_ADDRESS = 254


def normalised_address(address):
    """The address as one mailbox is stored: its domain in ASCII (IDNA, as mail servers exchange it) and lower case.
    Raises ValidationError with a message the reader understands."""
    address = address.strip()
    local, _at, domain = address.rpartition("@")
    if not local.isascii():
        raise forms.ValidationError(
            _(
                "Our mail server cannot deliver to addresses with letters other than a–z before the @. Please use "
                "another address."
            ),
            code="unicode_local_part",
        )
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise forms.ValidationError(INVALID, code="invalid") from None
    address = f"{local}@{domain}"
    if len(address) > LONGEST_ADDRESS:
        raise forms.ValidationError(
            _("An email address has at most %(limit)d characters; this one has %(length)d."),
            params={"limit": LONGEST_ADDRESS, "length": len(address)},
            code="too_long",
        )
    validate_email(address)
    return address


class ChoicesForm(forms.ModelForm):
    """What a subscriber chooses: languages, categories, how often."""

    # Radio buttons without the model field's empty choice ("---------").
    languages = forms.ChoiceField(label=_("Stories in"), choices=Subscriber.Languages.choices, widget=forms.RadioSelect)
    frequency = forms.ChoiceField(label=_("How often"), choices=Subscriber.Frequency.choices, widget=forms.RadioSelect)

    categories = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=NewsStory.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to receive every story."),
    )

    class Meta:
        model = Subscriber
        fields = ["languages", "categories", "frequency"]


class SubscribeForm(ChoicesForm):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=320,  # longer ones are refused with their length, below
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "name@example.org"}),
        error_messages={"required": _("Enter your email address.")},
    )

    class Meta(ChoicesForm.Meta):
        fields = ["email", "languages", "categories", "frequency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].initial = get_language()
        self.fields["frequency"].initial = Subscriber.Frequency.IMMEDIATE
        self.fields["frequency"].required = False

    def clean_email(self):
        try:
            return normalised_address(self.cleaned_data["email"])
        except forms.ValidationError as error:
            if error.code == "invalid":
                raise forms.ValidationError(INVALID, code="invalid") from None
            raise

    def clean_frequency(self):
        return self.cleaned_data["frequency"] or Subscriber.Frequency.IMMEDIATE

    def validate_unique(self):
        pass  # an address already known is not an error: the answer is the same either way (signup.py)
