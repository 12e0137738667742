"""The list and story pages' latency while 10 clients post hostile letters of support to the membership form, with
the background worker cleaning what the form accepted (issue 22, finding 5; see bench/README.md).

    .venv/bin/python -m bench.hostile_letters [--seconds 20] [--posters 10]            # nginx in front, as deployed
    .venv/bin/python -m bench.hostile_letters --direct [--ports 18300-18399]           # gunicorn alone

Run from the project's root. As deployed (default): the production stack brought up natively
(testkit/native_stack.py: nginx from deploy/nginx/ietp.conf.template over TLS, in front of gunicorn with 2 sync
workers and production settings, SQLite, the sample stories), with `manage.py run_worker` beside it; the reference
is a static file nginx serves. With --direct: gunicorn alone (bench/throughput.py's site: 12 illustrated stories,
bench.settings with the reference /bench/constant/, a view that draws nothing). The per-address limits on the form
are raised: every poster stands for a client address of its own (the worst case; from one address the form
answers 429 after MEMBERSHIP_POSTS_PER_IP posts an hour).

Then, for --seconds each, one after the other:

- quiet: nobody posts;
- png-bomb: --posters clients each post, again and again, a complete application with the tester's letter: a
  6000 × 6000 blank PNG of about 140 KB (108 MB of pixels), each with the form page fetched first for its tokens;
- heavy-jpeg: the same with a letter the form accepts and the worker must decode: a 35-megapixel photo-like JPEG
  (under the 40 MP and 10 MB caps), so the worker is busy the whole time.

Meanwhile one prober, in this process, asks in turn for the news list, a story page and the reference (the
constant view: what a request costs when it draws nothing), one request at a time, and records each latency.
Printed: each phase's p50/p95/max per page, the posts answered and their statuses, and the queue at the end.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import requests
import urllib3

from bench.throughput import ROOT, Server, build_site, server_port, site_environment
from testkit import native_stack
from testkit.applications import application_answers
from testkit.files import blank_png, photo_like

PAGES = [("/news/", "news list"), ("/news/factory-visit-12/", "story page"), ("/bench/constant/", "reference")]
BUDGET_MS = 200
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20, help="length of each phase")
    parser.add_argument("--posters", type=int, default=10, help="clients posting letters at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--ports", help="--direct: serve only on ports in this range, e.g. 18300-18399")
    parser.add_argument("--direct", action="store_true", help="gunicorn alone, no nginx in front")
    options = parser.parse_args()
    first, _, last = (options.ports or "").partition("-")
    options.unused_ports = list(range(int(first), int(last) + 1)) if options.ports else []

    letters = {
        "png-bomb": ("letter.png", blank_png(6000, 6000), "image/png"),
        "heavy-jpeg": ("letter.jpg", photo_like(7000, 5000, "JPEG", quality=80), "image/jpeg"),
    }
    for name, (_filename, content, _type) in letters.items():
        print(f"{name}: {len(content) / 1024:.0f} KB")

    if not options.direct:
        return through_the_front_server(options, letters)
    with tempfile.TemporaryDirectory(prefix="ietp-bench-letters-") as directory:
        workdir = Path(directory)
        environment = {
            **site_environment(workdir, None, None),
            "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
            "MEMBERSHIP_MIN_SECONDS_TO_SUBMIT": "0",
            "MEMBERSHIP_POSTS_PER_IP": "1000000",
            "MEMBERSHIP_SUBMISSIONS_PER_IP": "1000000",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        build_site(environment, workdir, 10, None)
        port = server_port(options)
        web = Server(
            [
                *(sys.executable, "-m", "gunicorn", "--workers", str(options.workers)),
                *("--bind", f"127.0.0.1:{port}", "--log-level", "warning", "ietp_site.wsgi"),
            ],
            environment,
            port,
        )
        worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], env=environment, cwd=ROOT)
        try:
            web.wait_until_up("/news/")
            base = f"http://127.0.0.1:{port}"
            for path, _label in PAGES:
                for _warm_up in range(8):
                    urllib.request.urlopen(base + path, timeout=30).read()
            print(f"\ngunicorn: {options.workers} sync workers; worker: run_worker; {options.posters} posters\n")
            results = {"quiet": run_phase(base, options, None)}
            for name, letter in letters.items():
                results[name] = run_phase(base, options, letter)
            report(results)
            print("\nqueue at the end:", queue_summary(environment))
        finally:
            web.stop()
            worker.terminate()
            worker.wait(timeout=30)


class StackWithOpenForm(native_stack.NativeStack):
    """The native production stack, with the form's per-address limits out of the way (see the docstring)."""

    def site_environment(self):
        return {
            **super().site_environment(),
            "MEMBERSHIP_MIN_SECONDS_TO_SUBMIT": "0",
            "MEMBERSHIP_POSTS_PER_IP": "1000000",
            "MEMBERSHIP_SUBMISSIONS_PER_IP": "1000000",
        }


def through_the_front_server(options, letters):
    with tempfile.TemporaryDirectory(prefix="ietp-bench-letters-") as directory:
        with StackWithOpenForm(directory, workers=options.workers, name="bench_letters") as stack:
            worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], env=stack.environment, cwd=ROOT)
            try:
                base = f"https://{native_stack.HOST}:{stack.https_port}"  # the name nginx serves
                news = requests.get(f"{base}/news/", verify=False, timeout=30).text
                story = re.search(r'href="(/news/(?!feed/|page/)[^"/]+/)"', news).group(1)
                # The page's styles are inline: its icon is the static file nginx serves from disk.
                static_file = re.search(r'href="(/static/favicon\.[^"]+\.svg)"', news).group(1)
                pages = [("/news/", "news list"), (story, "story page"), (static_file, "reference")]
                print(f"\nnginx, gunicorn ({options.workers} sync workers), run_worker; {options.posters} posters")
                print(f"story page: {story}; reference: a static file from nginx, {static_file}\n")
                results = {"quiet": run_phase(base, options, None, pages)}
                for name, letter in letters.items():
                    results[name] = run_phase(base, options, letter, pages)
                report(results)
                print("\nqueue at the end:", queue_summary(stack.environment))
            finally:
                worker.terminate()
                worker.wait(timeout=30)


def run_phase(base, options, letter, pages=PAGES):
    stop = threading.Event()
    posts = []
    posters = [
        threading.Thread(target=post_letters, args=(base, letter, number, stop, posts), daemon=True)
        for number in range(options.posters if letter else 0)
    ]
    for thread in posters:
        thread.start()
    time.sleep(1 if letter else 0)  # the posts under way
    latencies = {label: [] for _path, label in pages}
    prober = requests.Session()  # one connection kept open, as a browser keeps one
    deadline = time.monotonic() + options.seconds
    while time.monotonic() < deadline:
        for path, label in pages:
            started = time.perf_counter()
            prober.get(base + path, verify=False, timeout=60).raise_for_status()
            latencies[label].append((time.perf_counter() - started) * 1000)
    stop.set()
    for thread in posters:
        thread.join(timeout=120)
    return {"latencies": latencies, "posts": posts}


def post_letters(base, letter, number, stop, posts):
    """One hostile client: the form page (its CSRF cookie and token, the timestamp), then the post, again and again."""
    filename, content, content_type = letter
    session = requests.Session()
    sent = 0
    while not stop.is_set():
        page = session.get(f"{base}/buyer-membership/", verify=False, timeout=120)  # the stack's own certificate
        tokens = dict(re.findall(r'name="(csrfmiddlewaretoken|form_started)" value="([^"]+)"', page.text))
        # The CSRF cookie is Secure (production settings) and this is plain HTTP: sent back by hand.
        cookie = page.cookies.get("csrftoken") or session.cookies.get("csrftoken", "")
        answers = application_answers(contact_email=f"poster{number}-{sent}@example.com")
        data = {**answers, **tokens, "agrees_to_principles": "on", "consents_to_privacy_notice": "on", "fax": ""}
        started = time.perf_counter()
        response = session.post(
            f"{base}/buyer-membership/",
            data=data,
            files={"letter": (filename, content, content_type)},
            headers={"Referer": f"{base}/buyer-membership/", "Cookie": f"csrftoken={cookie}"},
            allow_redirects=False,
            verify=False,
            timeout=120,
        )
        posts.append((response.status_code, (time.perf_counter() - started) * 1000))
        sent += 1


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(results):
    print(f"{'phase':<12} {'page':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  within budget")
    for phase, result in results.items():
        for label, values in result["latencies"].items():
            p95 = percentile(values, 0.95)
            verdict = "yes" if label == "reference" or p95 <= BUDGET_MS else "NO"
            print(
                f"{phase:<12} {label:<12} {len(values):>8} {statistics.median(values):>8.1f} {p95:>8.1f} "
                f"{max(values):>8.1f}  {verdict if label != 'reference' else ''}"
            )
        if result["posts"]:
            statuses = {}
            for status, _ms in result["posts"]:
                statuses[status] = statuses.get(status, 0) + 1
            times = [ms for _status, ms in result["posts"]]
            print(
                f"{phase:<12} posts: {len(times)} answered {statuses}, p50 {statistics.median(times):.0f} ms, "
                f"p95 {percentile(times, 0.95):.0f} ms"
            )


def queue_summary(environment):
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'ietp_site.settings'); django.setup()\n"
        "from background.queue import queue_state\n"
        "from membership.models import MembershipApplication as A\n"
        "from django.db.models import Count\n"
        "print(queue_state(), dict(A.objects.values_list('letter_state').annotate(n=Count('pk'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**environment, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (result.stdout or result.stderr).strip()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
