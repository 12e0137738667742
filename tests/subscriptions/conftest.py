import pytest

from testkit.smtp import SMTPSink


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on 127.0.0.1 that keeps what it is sent; the site sends to it over SMTP."""
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
        settings.EMAIL_TIMEOUT = 5
        settings.SITE_URL = "http://testserver"
        settings.SUBSCRIPTION_EMAILS_PER_MINUTE = 1_000_000  # no spreading out: every job is due at once
        yield sink


def text_and_html(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def messages_to(sink, address):
    return [message for message in sink.messages if message["To"] == address]
