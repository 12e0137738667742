"""Buyer membership applications for tests and benchmarks: the answers, the form's post, a saved application, and
its emails once sent."""

import time

MEMBERSHIP_STAFF = ["membership@ethicaltoyprogram.org", "review@ethicaltoyprogram.org"]


def application_answers(**changes):
    """A buyer's answers to the membership form, as its fields take them."""
    answers = {
        "company_name": "Bright Toys Ltd",
        "brand_names": "Bright, Little Bright",
        "website": "https://bright-toys.example.com",
        "headquarters_country": "HK",
        "company_type": "brand",
        "product_categories": ["toys", "seasonal"],
        "annual_sales": "10m_50m",
        "supplier_factory_count": "12",
        "supplier_countries": ["CN", "VN"],
        "contact_name": "Mei Chan",
        "contact_job_title": "Sourcing Director",
        "contact_email": "mei.chan@bright-toys.example.com",
        "contact_phone": "+852 2345 6789",
        "executive_name": "Alan Wong",
        "executive_title": "Chief Executive",
        "executive_email": "alan.wong@bright-toys.example.com",
        "toy_association_member": "yes",
        "toy_association_name": "Toys Manufacturers' Association of Hong Kong",
        "heard_from": "factory",
        "message": "We would like to join before the spring fair.",
    }
    return answers | changes


def application_form(**changes):
    """What the membership form posts: the answers, both boxes ticked, the hidden trap left empty, and the
    page shown a minute ago. A change given as None leaves that field out of the post."""
    from membership.forms import sign_form_started

    data = application_answers(
        agrees_to_principles="on",
        consents_to_privacy_notice="on",
        fax="",
        form_started=sign_form_started(time.time() - 60),
    )
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def emails_when_sent(application, outbox, count, seconds=10):
    """The outbox once `count` of the application's emails are recorded as sent: a live server sends them after its
    response, while the browser goes on."""
    deadline = time.monotonic() + seconds
    while application.emails.filter(sent_at__isnull=False).count() < count:
        assert time.monotonic() < deadline, f"{count} emails were not sent within {seconds} s: {outbox}"
        time.sleep(0.05)
    return list(outbox)


def make_application(**fields):
    """A saved application with the same answers, sent from the English form."""
    from membership.models import MembershipApplication

    answers = application_answers()
    values = answers | {
        "supplier_factory_count": int(answers["supplier_factory_count"]),
        "toy_association_member": answers["toy_association_member"] == "yes",
        "agrees_to_principles": True,
        "consents_to_privacy_notice": True,
        "language": "en",
    }
    return MembershipApplication.objects.create(**(values | fields))
