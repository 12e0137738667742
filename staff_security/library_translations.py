"""Strings of the admin's libraries that ship no Chinese (django-parler's delete-translation page, django-axes' login
records): named here so that makemessages keeps them in our catalogue, whose Chinese wins over the libraries' own."""

from django.utils.translation import gettext_noop

PARLER = (
    gettext_noop("{0} Translation"),
    gettext_noop("{0} translation of {1}"),
    gettext_noop('The %(name)s "%(obj)s" was deleted successfully.'),
    gettext_noop(
        "Deletion of the %(language_name)s translation of %(object_name)s '%(escaped_object)s' is not allowed, "
        "because it is the last available translation of this instance."
    ),
)

AXES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
)
