"""Lighthouse (npm lighthouse, Debian's Chromium) on the news list, a story and the membership form, in both
languages, on a phone and a desktop: accessibility, best practices and SEO 100. Performance moves with the machine's
load: it is not asserted, and measured only when asked for (LIGHTHOUSE_PERFORMANCE=1: the scores then in
test-artifacts/validators/lighthouse/, figures in bench/README.md), since measuring it means waiting for each page
to settle, a third of a run."""

import json
import os
import shutil
import subprocess

import pytest

from testkit.chromium import CHROMIUM

from .validated_site import ARTIFACTS, LIGHTHOUSE, VALIDATORS, tool_missing

pytestmark = pytest.mark.slow

STABLE_CATEGORIES = ["accessibility", "best-practices", "seo"]
FORM_FACTORS = ["mobile", "desktop"]
# A run spends about half its time waiting (for the page to settle, for quiet network and CPU): two at once keep
# two cores busy. Performance, only recorded, reads lower under the overlap.
LANES = 2
LIGHTHOUSE_RUNS = VALIDATORS / "node" / "lighthouse-runs.mjs"
MEASURE_PERFORMANCE = os.environ.get("LIGHTHOUSE_PERFORMANCE") == "1"


def page_paths(site):
    return {
        "list en": "/news/",
        "list zh-hans": "/zh/news/",
        "story en": site.stories["bilingual"]["en"],
        "story zh-hans": site.stories["bilingual"]["zh-hans"],
        "form en": "/buyer-membership/",
        "form zh-hans": "/zh/buyer-membership/",
    }


def lighthouse_reports_of(runs, lanes):
    """Lighthouse's reports on `runs` ({name: (url, form factor, output path)}): `lanes` Node processes at once
    (node/lighthouse-runs.mjs), each with one Chromium, running its share of the pages one after another."""
    folder = ARTIFACTS / "lighthouse"
    processes = []
    for lane in range(lanes):
        share = list(runs.values())[lane::lanes]
        request = {
            "categories": [*STABLE_CATEGORIES, *(["performance"] if MEASURE_PERFORMANCE else [])],
            "runs": [{"url": url, "formFactor": factor, "output": str(output)} for url, factor, output in share],
        }
        request_path = folder / f"runs-{lane}.json"
        request_path.write_text(json.dumps(request))
        command = [shutil.which("node") or "node", str(LIGHTHOUSE_RUNS), str(request_path)]
        environment = {**os.environ, "CHROME_PATH": CHROMIUM}
        processes.append(subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _output, errors = process.communicate(timeout=600)
        assert process.returncode == 0, f"Lighthouse failed: {errors[-3000:]}"
    return {name: json.loads(output.read_text()) for name, (_url, _factor, output) in runs.items()}


@pytest.fixture(scope="session")
def lighthouse_reports(site):
    """{(page, form factor): Lighthouse's report}: the twelve runs, LANES at a time."""
    tool_missing(LIGHTHOUSE, CHROMIUM)
    folder = ARTIFACTS / "lighthouse"
    folder.mkdir(parents=True, exist_ok=True)
    runs = {
        (name, form_factor): (site.url(path), form_factor, folder / f"{name.replace(' ', '-')}-{form_factor}.json")
        for name, path in page_paths(site).items()
        for form_factor in FORM_FACTORS
    }
    reports = lighthouse_reports_of(runs, LANES)
    summary = {
        f"{name} {form_factor}": {key: category["score"] for key, category in report["categories"].items()}
        for (name, form_factor), report in reports.items()
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    return reports


def failing_audits(report, category):
    """The audits that cost the category points, with Lighthouse's title and what it found."""
    audits = report["audits"]
    failing = []
    for reference in report["categories"][category]["auditRefs"]:
        audit = audits[reference["id"]]
        if reference["weight"] and audit["score"] is not None and audit["score"] < 1:
            items = audit.get("details", {}).get("items", [])[:5]
            failing.append(f"{audit['id']}: {audit['title']} {json.dumps(items, ensure_ascii=False)[:600]}")
    return failing


@pytest.mark.parametrize("form_factor", FORM_FACTORS)
@pytest.mark.parametrize("page", ["list en", "list zh-hans", "story en", "story zh-hans", "form en", "form zh-hans"])
def test_accessibility_best_practices_and_seo_score_100(lighthouse_reports, page, form_factor):
    report = lighthouse_reports[page, form_factor]

    for category in STABLE_CATEGORIES:
        score = report["categories"][category]["score"]
        assert score == 1, f"{page} {form_factor}: {category} {score}\n" + "\n".join(failing_audits(report, category))
    if MEASURE_PERFORMANCE:
        assert report["categories"]["performance"]["score"] is not None
