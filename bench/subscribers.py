"""A story sent to 20,000 subscribers on SQLite: how long queueing takes, how fast the worker sends, and whether the
news list keeps its speed meanwhile (see bench/README.md).

    .venv/bin/python -m bench.subscribers [--subscribers 20000] [--rate 0] [--samples 40]

Run from the project's root. Builds a throwaway SQLite database (write-ahead log, as the site runs it) with the
production settings (bench.settings), 30 stories and `subscribers` confirmed subscribers (a third English, a third
Chinese, a third both), and starts a real SMTP server on 127.0.0.1 (testkit/smtp.py). Then:

Only the first `--send-seconds` of the send are watched by default (20,000 subscribers are 26,667 emails).

1. queue: a bilingual story is published (publishing.publish, both languages in one save) and the announcement
   jobs are run in this process: the time from Publish to every delivery and job being in the database;
2. send: `manage.py run_worker` is started as the site starts it (polling every second), in its own process, and
   the SMTP server counts what arrives: emails per second (with `--rate`, SUBSCRIPTION_EMAILS_PER_MINUTE spreads
   them out; 0 means unthrottled, to measure the machine);
3. latency: the news list, rendered each time (the page cache emptied before each request), and /bench/constant/
   (Django's request handling with nothing to render), in turn, `samples` times each before the send and again
   during it, from the first email on; medians and 90th percentiles.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit.smtp import SMTPSink

PROJECT = Path(__file__).resolve().parent.parent


def environment(workdir, smtp_port, rate):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SITE_URL": "http://testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "CACHE_DIR": str(workdir / "cache"),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "SUBSCRIPTION_EMAILS_PER_MINUTE": str(rate or 100_000_000),
    }


def timed_requests(client, samples):
    from django.core.cache import cache

    times = {"list": [], "constant": []}
    for _number in range(samples):
        cache.clear()  # the list rendered, not served from the page cache
        start = time.perf_counter()
        assert client.get("/news/").status_code == 200
        times["list"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert client.get("/bench/constant/").status_code == 200
        times["constant"].append(time.perf_counter() - start)
    return times


def summary(values):
    values = sorted(values)
    p90 = values[int(len(values) * 0.9) - 1]
    return f"median {statistics.median(values) * 1000:6.1f} ms, p90 {p90 * 1000:6.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=0, help="SUBSCRIPTION_EMAILS_PER_MINUTE (0: unthrottled)")
    parser.add_argument("--samples", type=int, default=40, help="requests of each page before and during the send")
    parser.add_argument("--send-seconds", type=int, default=120, help="how long the send is watched (0: to the end)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ietp-bench-") as directory, SMTPSink() as sink:
        workdir = Path(directory)
        env = environment(workdir, sink.port, options.rate)
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--no-input", verbosity=0)
        call_command("collectstatic", "--no-input", verbosity=0)

        from django.contrib.auth import get_user_model
        from django.test import Client

        from news import publishing
        from subscriptions.models import Delivery, Subscriber
        from testkit.background import run_queued_tasks
        from testkit.stories import make_story
        from testkit.subscribers import many_subscribers

        for number in range(30):
            make_story({"en": f"Older story {number}", "zh-hans": f"旧新闻 {number}"})
        run_queued_tasks(limit=1000)  # their (empty) announcements
        many_subscribers(options.subscribers)
        editor = get_user_model().objects.create_user("editor", "editor@example.org", "benchmark", is_staff=True)
        client = Client()
        timed_requests(client, 3)  # templates loaded before anything is timed
        idle = timed_requests(client, options.samples)

        story = make_story(
            {"en": "Audits resume in Dongguan", "zh-hans": "东莞审核恢复"}, status="draft", publish_date=None
        )
        start = time.perf_counter()
        publishing.publish(story, user=editor)  # both languages in one save; outside a test, on_commit fires
        ran = run_queued_tasks(stop_after=2)  # the two announcement jobs: deliveries and their jobs made
        queue_seconds = time.perf_counter() - start
        deliveries = Delivery.objects.count()
        expected = options.subscribers + Subscriber.objects.filter(languages="both").count()
        assert ran == 2 and deliveries == expected, (ran, deliveries, expected)
        print(f"{options.subscribers} subscribers, {deliveries} emails: queued in {queue_seconds:.2f} s")

        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            start = time.perf_counter()
            while not sink.messages and time.perf_counter() - start < 60:
                time.sleep(0.05)  # the worker's start-up is not the send
            during = timed_requests(client, options.samples)
            limit = options.send_seconds or 24 * 3600
            while len(sink.messages) < deliveries and time.perf_counter() - start < limit:
                time.sleep(0.5)
            send_seconds = time.perf_counter() - start
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        sent = len(sink.messages)
        recipients = {(message["To"], message["Subject"]) for message in sink.messages}
        rate = sent / send_seconds
        print(f"sent {sent} emails in {send_seconds:.1f} s: {rate:.1f} emails/s; twice: {sent - len(recipients)}")
        for name in ["list", "constant"]:
            print(f"{name:8} before the send: {summary(idle[name])}; during: {summary(during[name])}")
        left = Delivery.objects.exclude(status="sent").count()
        print(f"watched for {send_seconds:.0f} s: {deliveries - left} sent, {left} still waiting (the worker stopped)")


if __name__ == "__main__":
    main()
