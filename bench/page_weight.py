"""Page weight and throughput of the news pages, as a first-time phone visitor gets them (see bench/README.md).

    .venv/bin/python -m bench.page_weight [--requests 500] [--concurrency 4] [--workers 4]

Run from the project's root: the stories are built with testkit/stories.py. Builds a throwaway database
and media directory with 12 illustrated stories (photo-like 4000x3000 images), serves the site with
gunicorn and production settings (DEBUG off, compressed static files, /media/ served beside it by
bench/media_wsgi.py), and fetches the list, a story and the membership form with
Accept-Encoding: gzip, br. Images are counted as a 375 px wide phone at DPR 2 picks them from each
<picture>: the WebP candidate for the slot `sizes` gives. Every resource is counted once per page.
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from testkit.files import photo_like
from testkit.pages import PHONE_DPR, PHONE_WIDTH, page_resources
from testkit.ports import free_port
from testkit.stories import illustrated_story

ROOT = Path(__file__).resolve().parent.parent


def production_environment(workdir):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ietp_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": "page-weight-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_STORAGE": "filesystem",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }


def build_site(environment):
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=environment, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=environment, check=True, cwd=ROOT)
    os.environ.update(environment)
    import django

    django.setup()
    for number in range(1, 13):
        illustrated_story(number, photo_like(4000, 3000, quality=92))
        print(f"  story {number}/12 illustrated", end="\r", flush=True)
    print()


def fetch(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br", "User-Agent": "page-weight"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return response.status, body, response.headers.get("Content-Encoding", "")
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


def measure_page(base, path):
    """The page's HTTP status and, if it is served, a row per resource it loads."""
    status, body, encoding = fetch(base + path)
    if status != 200:
        return status, []
    page_html = (gzip.decompress(body) if encoding == "gzip" else body).decode() if encoding != "br" else None
    if page_html is None:
        import brotli

        page_html = brotli.decompress(body).decode()
    stylesheets, images = page_resources(page_html)
    rows = [("HTML", path, len(body), encoding or "identity")]
    for url in stylesheets:
        _status, css, css_encoding = fetch(base + url)
        rows.append(("CSS", url, len(css), css_encoding or "identity"))
    for url in images:
        _status, image, _encoding = fetch(base + url)
        rows.append(("image", url, len(image), "-"))
    return status, rows


def throughput(base, paths, total, concurrency):
    urls = [base + paths[number % len(paths)] for number in range(total)]
    errors, lock = [], threading.Lock()

    def client(share):
        for url in share:
            status, _body, _encoding = fetch(url)
            if status != 200:
                with lock:
                    errors.append(status)

    shares = [urls[number::concurrency] for number in range(concurrency)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total / (time.perf_counter() - started), errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ietp-bench-") as directory:
        workdir = Path(directory)
        environment = production_environment(workdir)
        print("Building 12 illustrated stories (4000x3000 photo-like images)...")
        build_site(environment)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(options.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--pythonpath",
                f"{ROOT},{ROOT / 'bench'}",
                "--log-level",
                "warning",
                "media_wsgi:application",
            ],
            env=environment,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            # Wait for gunicorn's workers: a busy machine may take several seconds to start them.
            for _attempt in range(120):
                try:
                    urllib.request.urlopen(base + "/news/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.25)
            report(base, options)
        finally:
            server.terminate()
            server.wait(timeout=10)


def report(base, options):
    print(f"\nFirst load on a {PHONE_WIDTH} px phone at DPR {PHONE_DPR}, compressed as served (gzip/br accepted)")
    print(f"{'page':<32}{'HTML':>10}{'CSS':>10}{'images':>10}{'total':>10}  images counted")
    for label, path in [
        ("news list (12 cards)", "/news/"),
        ("story page", "/news/factory-visit-12/"),
        ("buyer membership form", "/buyer-membership/"),
    ]:
        status, rows = measure_page(base, path)
        if status != 200:
            print(f"{label:<32}{f'(not served: HTTP {status})':>40}")
            continue
        weight = {
            kind: sum(size for row_kind, _url, size, _enc in rows if row_kind == kind)
            for kind in ("HTML", "CSS", "image")
        }
        total = sum(weight.values())
        count = sum(1 for row in rows if row[0] == "image")
        print(
            f"{label:<32}{kb(weight['HTML']):>10}{kb(weight['CSS']):>10}{kb(weight['image']):>10}{kb(total):>10}"
            f"  {count}"
        )
    print(
        f"\nThroughput: {options.requests} requests, {options.concurrency} concurrent clients, "
        f"gunicorn with {options.workers} sync workers, loopback"
    )
    for label, paths in [("/news/", ["/news/"]), ("/news/factory-visit-12/", ["/news/factory-visit-12/"])]:
        rate, errors = throughput(base, paths, options.requests, options.concurrency)
        print(f"  {label:<30}{rate:8.0f} requests/s{'  ERRORS: ' + str(len(errors)) if errors else ''}")


def kb(size):
    return f"{size / 1024:.1f} KB"


if __name__ == "__main__":
    main()
