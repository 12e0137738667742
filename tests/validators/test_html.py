"""Every kind of public page in both languages, the error pages, the membership form with mistakes and the admin's
login page, through the W3C Nu HTML Checker (npm vnu-jar); and the stylesheets through its CSS checker."""

import json
import subprocess
from pathlib import Path

import pytest

from .validated_site import VNU_JAR, public_pages, tool_missing

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STYLESHEETS = sorted((ROOT / "static").rglob("*.css"))
# Served by the front web server when the site cannot answer (deploy/nginx).
STATIC_ERROR_PAGES = sorted((ROOT / "static" / "errors").glob("*.html"))


# The JVM's quick compiler only: a run of a few seconds ends before the optimising compiler's work pays, and that
# work (on every core) was half the checker's CPU (bench/README.md, "The suite's time against a reference"). Its
# compiled code takes more stack than the thread's default, which the schema's deep recursion then overflows.
JVM_OPTIONS = ["-XX:TieredStopAtLevel=1", "-Xss8m"]


def vnu(files, *options):
    """The checker's messages for these files, as (file name, type, message, line)."""
    result = subprocess.run(
        ["java", *JVM_OPTIONS, "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *options]
        + list(map(str, files)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    return [
        (
            Path(message.get("url", "")).name,
            "warning" if message.get("subType") == "warning" else message["type"],
            message.get("message", ""),
            message.get("lastLine"),
        )
        for message in messages
    ]


def report(messages):
    return "\n".join(f"{name}:{line}: {kind}: {text}" for name, kind, text, line in messages)


def test_every_page_kind_in_both_languages_is_valid_html(site, tmp_path):
    tool_missing(VNU_JAR)
    pages = {name: site.get(path) for name, path in public_pages(site).items()}
    for code, prefix in (("en", ""), ("zh-hans", "/zh")):
        pages[f"membership form with mistakes {code}"] = site.form_with_errors(f"{prefix}/buyer-membership/")
    # A request naming a host the site does not serve: the plain error page (400, as 429, 500 and 503 are made).
    pages["bad request"] = site.get("/news/", headers={"Host": "not-this-site.example"})
    # Searching too often: the 429 page (the site allows 20 searches a minute to these tests).
    for _ in range(25):
        too_many = site.get("/search/?q=audit")
    pages["too many searches"] = too_many

    expected_status = {"not found": 404, "removed story": 410, "bad request": 400, "too many searches": 429}
    for name, page in pages.items():
        kind = next((kind for kind in expected_status if name.startswith(kind)), None)
        assert page.status == expected_status.get(kind, 200), f"{name}: {page.url} answered {page.status}"
        assert page.headers["Content-Type"].startswith("text/html"), name
    files = []
    for number, (name, page) in enumerate(pages.items()):
        path = tmp_path / f"{number:02d}-{name.replace(' ', '-').replace(':', '').replace(',', '')}.html"
        path.write_bytes(page.body)
        files.append(path)

    messages = vnu([*files, *STATIC_ERROR_PAGES])

    errors = [message for message in messages if message[1] != "warning"]
    warnings = [message for message in messages if message[1] == "warning"]
    assert errors == [], f"{len(files)} pages checked.\nErrors:\n{report(errors)}\nWarnings:\n{report(warnings)}"
    assert len(files) >= 36


def test_stylesheets_are_valid_css(tmp_path):
    tool_missing(VNU_JAR)
    assert {path.name for path in STYLESHEETS} >= {"site.css", "admin.css", "error-page.css"}

    messages = vnu(STYLESHEETS, "--css")

    errors = [message for message in messages if message[1] != "warning"]
    warnings = [message for message in messages if message[1] == "warning"]
    assert errors == [], f"Errors:\n{report(errors)}\nWarnings:\n{report(warnings)}"
