"""The database stopped for a while under load, and started again: a site on a PostgreSQL cluster of its own, served
by gunicorn, and the visitors and applicants who meet the outage. Used by tests/stack/test_faults.py and by
`python -m bench.db_outage` (bench/db_outage.py)."""

import collections
import html
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from testkit.applications import application_answers
from testkit.servers import Gunicorn, PostgresCluster, manage, site_env

# The pages visitors ask for: some cached (the list, warmed first), some rendered each time (search, page numbers
# beyond the cache's warm set are rendered once then cached; a search's results are cached too, per query).
LOAD_PATHS = ["/news/", "/zh/news/", "/search/?q=factory", "/zh/search/?q=audit", "/buyer-membership/"]
DESIGNED_503 = {
    "en": "The site is briefly unavailable",
    "zh": "网站暂时无法访问",
}
NOT_SAVED = {"en": "Your application could not be saved", "zh": "您的申请未能保存"}


class KeepCookiesOnRedirect(urllib.request.HTTPRedirectHandler):
    """Follows a redirect as a browser does: with the cookies the redirecting response set."""

    def __init__(self, cookies):
        self.cookies = cookies

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is not None and self.cookies is not None:
            keep_cookies(fp, self.cookies)
            follow.remove_header("Cookie")
            if self.cookies:
                follow.add_header("Cookie", cookie_header(self.cookies))
        return follow


def cookie_header(cookies):
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def fetch(url, data=None, cookies=None, timeout=15):
    """(status, body) of a request; a connection that fails counts as status 0. Cookies the site sets are kept in
    `cookies` (by hand: the site's are Secure, which a cookie jar keeps from plain HTTP), redirects included."""
    request = urllib.request.Request(url, data=data)
    if cookies:
        request.add_header("Cookie", cookie_header(cookies))
    try:
        with urllib.request.build_opener(KeepCookiesOnRedirect(cookies)).open(request, timeout=timeout) as response:
            keep_cookies(response, cookies)
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        keep_cookies(error, cookies)
        return error.code, error.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def keep_cookies(response, cookies):
    if cookies is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if value.strip() in ("", '""'):  # deleted
                cookies.pop(name.strip(), None)
            else:
                cookies[name.strip()] = value.strip()


def is_designed_503(status, body):
    return status == 503 and (any(text in body for text in DESIGNED_503.values()) or is_form_not_saved(body))


def is_form_not_saved(body):
    return any(text in body for text in NOT_SAVED.values())


class Applicant:
    """A buyer who opens the form and sends it, with cookies, as a browser does; one company name each."""

    def __init__(self, base_url, company_name):
        self.base_url = base_url
        self.company_name = company_name
        self.cookies = {}
        self.form_fields = None

    def open_form(self, path="/buyer-membership/"):
        status, body = fetch(self.base_url + path, cookies=self.cookies)
        if status != 200:
            return status, body
        self.form_fields = {
            name: html.unescape(value)
            for name, value in re.findall(r'name="(csrfmiddlewaretoken|form_started)" value="([^"]*)"', body)
        }
        return status, body

    def send(self, path="/buyer-membership/", **changes):
        answers = application_answers(
            company_name=self.company_name,
            contact_email=f"{re.sub(r'[^a-z0-9]+', '.', self.company_name.lower())}@example.com",
            agrees_to_principles="on",
            consents_to_privacy_notice="on",
            fax="",
            **changes,
        )
        data = urllib.parse.urlencode({**answers, **self.form_fields}, doseq=True).encode()
        return fetch(self.base_url + path, data=data, cookies=self.cookies)


class OutageSite:
    """A PostgreSQL cluster of its own, migrated and filled with the sample stories, served by gunicorn; `settings`
    are the site's environment variables beyond site_env's."""

    def __init__(self, directory, **settings):
        self.directory = Path(directory)
        self.settings = settings
        self.cluster = PostgresCluster()
        self.server = None

    def __enter__(self):
        self.cluster.create()
        self.env = site_env(self.directory, self.cluster.url(), **self.settings)
        for command in (["migrate", "--no-input"], ["load_seed_stories"]):
            result = manage(self.env, *command)
            if result.returncode != 0:
                raise RuntimeError(result.stderr)
        self.server = Gunicorn(self.env).start(self.directory / "gunicorn.log")
        return self

    def __exit__(self, *exc):
        if self.server:
            self.server.stop()
        self.cluster.destroy()

    def url(self, path):
        return self.server.base_url + path

    def saved_companies(self):
        """The company names of the applications in the database, read there (not through a Django process of its
        own, which would take a second to start)."""
        import psycopg

        with psycopg.connect(self.cluster.url()) as database:
            rows = database.execute("SELECT company_name FROM membership_membershipapplication").fetchall()
        return {company for (company,) in rows}

    def time_to_recover(self, path="/zh/search/?q=recovery", limit=30):
        """Seconds from now until an uncached page answers 200 again (a search never made before: results are
        cached)."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            probe = f"{path}+{time.monotonic_ns()}" if "?q=" in path else path
            if fetch(self.url(probe), timeout=5)[0] == 200:
                return time.monotonic() - started
            time.sleep(0.05)
        return None


# Seconds the load may go on after `after`, on a slow machine, until the form has saved an application again.
LONGEST_WAIT_FOR_A_SAVED_APPLICATION = 30


def saved_since(applications, answered_before):
    """Whether a post answered after the first `answered_before` applications was saved (200)."""
    return any(status == 200 for _company, status, _refused in applications[answered_before:])


def run_outage(site, outage_seconds, threads=4, before=3, after=8, applicants_every=1.0):
    """Load from `threads` visitors and an applicant a second; the database stops for `outage_seconds`.
    Returns the figures."""
    statuses = collections.Counter()
    unexpected = []
    stop = threading.Event()
    lock = threading.Lock()
    applications = []  # (company, status of the post, whether the refusal was the designed page)

    def visitor(number):
        index = number
        while not stop.is_set():
            path = LOAD_PATHS[index % len(LOAD_PATHS)]
            index += 1
            status, body = fetch(site.url(path))
            with lock:
                statuses[status] += 1
                if status != 200 and not is_designed_503(status, body):
                    unexpected.append((path, status, body[:200]))

    # Buyers who opened the form before the outage send it one a second, through the outage and after.
    waiting = []
    for number in range(1, int((before + outage_seconds + after) / applicants_every) + 30):
        person = Applicant(site.server.base_url, f"Outage Toys {number}")
        if person.open_form()[0] == 200:
            waiting.append(person)

    def applicant():
        while waiting and not stop.is_set():
            person = waiting.pop(0)
            status, body = person.send()
            applications.append((person.company_name, status, is_form_not_saved(body)))
            with lock:
                statuses[status] += 1
                if status not in (200, 503) or (status == 503 and not is_form_not_saved(body)):
                    unexpected.append(("POST /buyer-membership/", status, body[:200]))
            stop.wait(applicants_every)

    workers = [threading.Thread(target=visitor, args=(number,)) for number in range(threads)]
    workers.append(threading.Thread(target=applicant))
    for worker in workers:
        worker.start()
    try:
        time.sleep(before)
        site.cluster.stop()
        stopped_at = time.monotonic()
        time.sleep(outage_seconds)
        site.cluster.start()
        outage = time.monotonic() - stopped_at
        recovery = site.time_to_recover()
        answered_before_recovery = len(applications)
        time.sleep(after)
        # On a loaded machine a post can take seconds: the load goes on until an application answered since the
        # database came back was saved (within a bound), else the figures could not tell a form that works again
        # from one whose post had not been answered yet.
        deadline = time.monotonic() + LONGEST_WAIT_FOR_A_SAVED_APPLICATION
        while waiting and time.monotonic() < deadline and not saved_since(applications, answered_before_recovery):
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)

    saved = site.saved_companies()
    sent = [company for company, _status, _refused in applications]
    refused = {company for company, status, refused_clearly in applications if status == 503 and refused_clearly}
    lost = [company for company in sent if company not in saved and company not in refused]
    return {
        "outage_seconds": round(outage, 1),
        "statuses": dict(sorted(statuses.items())),
        "unexpected": unexpected,
        "recovery_seconds": None if recovery is None else round(recovery, 2),
        "applications_sent": len(sent),
        "applications_saved": len([company for company in sent if company in saved]),
        "applications_refused": len(refused),
        "applications_lost": lost,
    }
