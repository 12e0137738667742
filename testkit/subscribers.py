"""Subscribers for tests and benchmarks: one confirmed, or many in bulk."""

import itertools

subscriber_numbers = itertools.count(1)


def make_subscriber(email=None, *, languages="en", categories=(), frequency="immediate", status="active", **fields):
    """A subscriber saved by code, confirmed unless `status` says otherwise."""
    from django.utils import timezone

    from subscriptions.models import Subscriber

    return Subscriber.objects.create(
        email=email or f"reader{next(subscriber_numbers)}@example.org",
        languages=languages,
        categories=list(categories),
        frequency=frequency,
        status=status,
        interface_language=fields.pop("interface_language", "zh-hans" if languages == "zh-hans" else "en"),
        confirmed_at=timezone.now() if status == "active" else None,
        **fields,
    )


def many_subscribers(count, *, languages=("en", "zh-hans", "both")):
    """`count` confirmed subscribers in a few INSERTs, their languages in turn."""
    from django.utils import timezone

    from subscriptions.models import Subscriber

    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"bulk{number}@example.org",
                languages=languages[number % len(languages)],
                status="active",
                interface_language="en",
                confirmed_at=now,
            )
            for number in range(count)
        ],
        batch_size=2000,
    )
