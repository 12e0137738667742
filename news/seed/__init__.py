"""Reads the stories of the old site's news page, as text (news-page.txt, beside this file).

Each story there is a block that starts with its category ("News"), then an optional
long-form date, the title, and optionally a dateline or a summary.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.utils.text import slugify

SEED_PAGE = Path(__file__).resolve().parent / "news-page.txt"

CATEGORY_LINES = {"News": "news", "Blog": "blog", "Event": "event"}
PAGE_FURNITURE = {"Our latest stories", "Older stories", "Become a Buyer Member"}
CJK = re.compile(r"[\u3400-\u9fff]")
# "October 2023", "25 September 2023, London", "Blog, 23rd May 2023, Hong Kong & London"
DATELINE = re.compile(r"^(?=.{0,80}$)(?!.*[.!?]$).*\b(19|20)\d\d\b.*$")
YEAR = re.compile(r"\b(19|20)\d\d\b")


@dataclass
class SeedStory:
    category: str
    title: str
    language: str
    publish_date: date | None = None
    summary: str = ""
    dateline: str = ""

    @property
    def slug(self):
        return slugify(self.title, allow_unicode=True)[:200].strip("-")


def dateline_place(line):
    """The place in an old dateline ("25 September 2023, London" gives "London"): the page shows the date
    once, from the publish date, in the reader's language."""
    parts = [part.strip() for part in line.split(",")]
    return ", ".join(part for part in parts if part and not YEAR.search(part) and part not in CATEGORY_LINES)


def parse_date(line):
    try:
        return datetime.strptime(line, "%B %d, %Y").date()
    except ValueError:
        return None


def read_seed_stories(text):
    """The stories on the page, in page order, each once."""
    blocks, current = [], None
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line in PAGE_FURNITURE:
            continue
        if line in CATEGORY_LINES:
            current = {"category": CATEGORY_LINES[line], "lines": []}
            blocks.append(current)
        elif current is not None:
            current["lines"].append(line)

    stories, seen_titles = [], set()
    for block in blocks:
        lines = block["lines"]
        publish_date = parse_date(lines[0]) if lines else None
        if publish_date:
            lines = lines[1:]
        if not lines:
            continue
        title, rest = lines[0], lines[1:]
        if title in seen_titles:
            continue
        seen_titles.add(title)
        story = SeedStory(
            category=block["category"],
            title=title,
            language="zh-hans" if CJK.search(title) else "en",
            publish_date=publish_date,
        )
        for line in rest:
            if not story.dateline and not story.summary and DATELINE.match(line):
                story.dateline = dateline_place(line)
            else:
                story.summary = f"{story.summary}\n\n{line}".strip()
        stories.append(story)
    return stories
