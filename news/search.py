"""Finding stories by what they say, in English and in Chinese, and quoting where they say it.

A visitor's query is cut into words (English, or any language written with spaces) and runs of Chinese
characters, which have no spaces between words. A translation of a story matches when it holds every one
of them, in its title, summary or body:

- On PostgreSQL, through one stored tsvector per version (`search_document`, GIN-indexed), built with the
  `english` configuration: English words are stemmed ("audits" finds "audit"), and each run of Chinese characters
  is written as its overlapping two-character pairs ("审核截止" as "审核 核截 截止 止"), so that a Chinese word is
  found anywhere inside a longer run, whatever the database's locale. Titles weigh most, then summaries, then
  bodies (SearchRank). Measurements and the alternatives tried are in bench/README.md.
- On SQLite, by substring: each word with its English ending taken off ("audits" as "audit"), each Chinese run
  as it is.

The excerpt shown with a result is cut and marked here, in Python, from the stored plain text: the same on both
databases, and escaped before any mark is added.

A page of results is rendered once per language, cleaned query and page number, and cached in the shared cache under
the release digest, with the page cache's generation it was rendered in: an edit, a scheduled publication or a release
makes it fresh. The page around it is a shell cached per language (news/search_page.py). Each client network may
search settings.SEARCHES_PER_MINUTE times a minute, cached or not.
"""

import functools
import hashlib
import html
import logging
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Q, Value
from django.utils.safestring import mark_safe

from caching.registry import content_changed
from operations.release import release_digest
from site_shell.client_address import anonymised_network, client_address
from site_shell.languages import site_language
from site_shell.rate_limits import count_in_window

from .story_body import story_body_text

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
# Of what a visitor sent, only this much is read at all: normalising can lengthen a character (NFKC), never by this.
MAX_QUERY_READ = MAX_QUERY_LENGTH * 20
# settings.SEARCHES_PER_MINUTE per client network (IPv4 /24, IPv6 /48) in this window: a reader never needs more.
SEARCH_LIMIT_WINDOW_SECONDS = 60
# A page of results lives at most this long in the cache; a new generation makes it stale sooner.
RESULTS_CACHED_SECONDS = 600
# PostgreSQL's text search configuration, for the stored vectors and the queries: English words stemmed.
TEXT_SEARCH_CONFIG = "english"
# Characters of English around the first match in a result's excerpt; Chinese, denser, gets half.
EXCERPT_LENGTH = 240

# Chinese characters (CJK ideographs, with the extensions and compatibility forms); punctuation is not a word.
CJK_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_RUN = re.compile(f"[{CJK_IDEOGRAPHS}]+")
# Letters and digits of any other script: English, numbers, names like "ESCP".
WORD = re.compile(rf"[^\W_{CJK_IDEOGRAPHS}]+")
TERM = re.compile(f"{CJK_RUN.pattern}|{WORD.pattern}")
# Control and format characters (NUL, escape, zero-width and direction marks) are never part of a query.
UNSEEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
# English endings taken off a query word on SQLite and in the excerpt's marks, longest first. PostgreSQL stems
# with Snowball instead; this only has to find "audit" from "audits", "audited" or "auditing".
ENGLISH_ENDINGS = ("ies", "ied", "ing", "es", "ed", "s", "e", "y")


def english_stem(word):
    """The start every form of an English word shares, near enough: "audits", "auditing" -> "audit"."""
    for ending in ENGLISH_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def at_word_start(stem):
    """A regex for `stem` at the start of a word, as \\b and the stem: written with the boundary checked after the
    first character (the stem's first is a word character), which re then looks for quickly; a pattern that starts
    with \\b is tried at every character of the text, twice as slow through a long English body."""
    return rf"{re.escape(stem[0])}(?<!\w.){re.escape(stem[1:])}"


def cjk_pairs(run):
    """The overlapping pairs of characters of a Chinese run: "审核截止" -> ["审核", "核截", "截止"]."""
    return [run[start : start + 2] for start in range(len(run) - 1)] or [run]


def searchable_text(text):
    """Text as PostgreSQL indexes it: each Chinese run replaced by its pairs and its last character alone, so
    that any word inside the run, of one character or more, is a sequence of whole tokens. Angle brackets go:
    PostgreSQL's parser would take "<script>" written in a story for a tag, and skip its word."""
    text = text.replace("<", " ").replace(">", " ")
    return CJK_RUN.sub(lambda run: f" {' '.join([*cjk_pairs(run[0]), run[0][-1]])} ", text)


def search_document(version):
    """The tsvector of a translation: title (weight A), summary (B) and body (C), from its plain text."""
    parts = [(version.title, "A"), (version.summary, "B"), (version.body_text, "C")]
    vectors = [
        SearchVector(Value(searchable_text(text or "")), config=TEXT_SEARCH_CONFIG, weight=w) for text, w in parts
    ]
    return vectors[0] + vectors[1] + vectors[2]


def index_versions(versions, batch_size=500):
    """Fill body_text, and search_document on PostgreSQL, of translations written without save(): those
    stored before search existed (migration 0012) or bulk-created (bench/search.py). Save does it for the rest."""
    fields = ["body_text", *(["search_document"] if connections[versions.db].vendor == "postgresql" else [])]
    batch = []
    # Whole rows: parler's translation model reads every field as it is made, so only() would load them one by one.
    for version in versions.order_by("pk").iterator(chunk_size=batch_size):
        version.body_text = story_body_text(version.body)
        version.search_document = search_document(version)
        batch.append(version)
        if len(batch) == batch_size:
            versions.bulk_update(batch, fields)
            batch = []
    versions.bulk_update(batch, fields)
    # bulk_update sends no signal: what search finds has changed, so cached results are stale (now, and once committed).
    content_changed()
    transaction.on_commit(content_changed)


def clean_query(value):
    """The query as searched, and whether it was shortened: NFKC (full-width letters from a Chinese keyboard
    become plain ones), without control characters, spaces collapsed, at most MAX_QUERY_LENGTH characters."""
    value = unicodedata.normalize("NFKC", (value or "")[:MAX_QUERY_READ])
    value = "".join(" " if character.isspace() else character for character in value)
    value = "".join(character for character in value if unicodedata.category(character) not in UNSEEN_CATEGORIES)
    value = " ".join(value.split())
    if len(value) <= MAX_QUERY_LENGTH:
        return value, False
    return value[:MAX_QUERY_LENGTH].rstrip(), True


@dataclass(frozen=True)
class SearchTerms:
    """What a visitor searched for: the cleaned query, and the words and Chinese runs every result holds."""

    query: str
    shortened: bool
    words: tuple
    cjk_runs: tuple

    @classmethod
    def from_query(cls, value):
        query, shortened = clean_query(value)
        terms = dict.fromkeys(term.lower() for term in TERM.findall(query))
        cjk_runs = tuple(term for term in terms if CJK_RUN.fullmatch(term))
        words = tuple(term for term in terms if term not in cjk_runs)
        return cls(query, shortened, words, cjk_runs)

    def __bool__(self):
        return bool(self.words or self.cjk_runs)

    @property
    def substrings(self):
        """What a matching version contains, on SQLite: each word's stem and each Chinese run."""
        return [english_stem(word) for word in self.words] + list(self.cjk_runs)

    def translation_condition(self):
        """On SQLite: a translation holds every term in its title, summary or body."""
        condition = Q()
        for substring in self.substrings:
            condition &= (
                Q(title__icontains=substring) | Q(summary__icontains=substring) | Q(body_text__icontains=substring)
            )
        return condition

    def title_condition(self, prefix=""):
        """On SQLite: the title (through `prefix` from the queried model) holds every term."""
        condition = Q()
        for substring in self.substrings:
            condition &= Q(**{f"{prefix}title__icontains": substring})
        return condition

    def tsquery_parts(self):
        """On PostgreSQL: (SearchQuery's search_type, text) of each part of the query: every English word (stemmed),
        and every Chinese run as consecutive pairs."""
        parts = [("plain", " ".join(self.words))] if self.words else []
        for run in self.cjk_runs:
            # One character starts a pair, or ends a run; the run is one Chinese character, nothing to escape.
            parts.append(("raw", f"{run}:*") if len(run) == 1 else ("phrase", " ".join(cjk_pairs(run))))
        return parts

    def tsquery(self):
        """The parts, all of them to be found, as an expression for the ORM."""
        parts = self.tsquery_parts()
        queries = [SearchQuery(text, config=TEXT_SEARCH_CONFIG, search_type=kind) for kind, text in parts]
        return functools.reduce(operator.and_, queries)

    def tsquery_sql(self):
        """tsquery() as SQL text and its parameters, written as Django writes it (news/postgresql_search.py)."""
        sql, params = None, []
        for kind, text in self.tsquery_parts():
            part = f"{SearchQuery.SEARCH_TYPES[kind]}(%s::regconfig, %s)"
            sql = part if sql is None else f"({sql} && {part})"
            params += [TEXT_SEARCH_CONFIG, text]
        return sql, params

    # Both patterns are made once per query: every version of every result on the page is read with them.
    @cached_property
    def pattern(self):
        """Where the terms are in a text: a word's stem at the start of a word, with its ending; a Chinese run."""
        alternatives = [rf"{at_word_start(english_stem(word))}\w*" for word in self.words]
        alternatives += [re.escape(run) for run in self.cjk_runs]
        alternatives.sort(key=len, reverse=True)
        return re.compile("|".join(alternatives), re.IGNORECASE)

    @cached_property
    def word_starts(self):
        """Each word's stem at the start of a word."""
        return [re.compile(at_word_start(english_stem(word)), re.IGNORECASE) for word in self.words]

    def all_found_in(self, text):
        """Whether the text holds every term (as the pattern finds them)."""
        words = all(start.search(text) for start in self.word_starts)
        return words and all(run in text for run in self.cjk_runs)

    def excerpt(self, text, length=EXCERPT_LENGTH):
        """About `length` characters of `text` (half as many of Chinese) around the first term found, every term
        in <mark>; None if the text holds none. The text is escaped piece by piece, so a mark never lands inside
        markup or an entity."""
        first = self.pattern.search(text)
        if first is None:
            return None
        if is_mostly_chinese(text):
            length //= 2
        start = max(0, first.start() - length // 3)
        end = max(min(len(text), start + length), first.end())
        # Neither end cuts an English word in two: move it to the nearest space, if one is near.
        if start > 0:
            space = text.find(" ", start, first.start())
            start = space + 1 if space != -1 and space - start < 20 else start
        if end < len(text):
            space = text.rfind(" ", first.end(), end)
            end = space if space != -1 and end - space < 20 else end
        # Python's own escape, as Django's escape() does it, without marking each piece safe: the whole is, below.
        pieces, position = [], start
        for match in self.pattern.finditer(text, start, end):
            pieces.append(html.escape(text[position : match.start()]))
            pieces.append(f"<mark>{html.escape(match[0])}</mark>")
            position = match.end()
        pieces.append(html.escape(text[position:end]))
        marked = "".join(pieces).strip()
        return mark_safe(f"{'… ' if start > 0 else ''}{marked}{' …' if end < len(text) else ''}")

    def quote(self, translations, shown_language_code):
        """Where a story says what was searched for, from its public translations (each with a language_code, title,
        summary and body_text): an excerpt of a summary or body with the terms marked, and its translation's
        SiteLanguage. The shown translation is quoted if it holds every term, else another that does, else one holding
        some; (None, None) if no summary or body holds any (a title match)."""
        translations = sorted(translations, key=lambda written: written.language_code != shown_language_code)
        holding_all = [
            written
            for written in translations
            if self.all_found_in(" ".join([written.title, written.summary, written.body_text]))
        ]
        for written in [*holding_all, *translations]:
            # The summary or body that holds every term, else the first that holds one.
            for text in sorted([written.summary, written.body_text], key=lambda text: not self.all_found_in(text)):
                quoted = self.excerpt(text)
                if quoted:
                    return quoted, site_language(written.language_code)
        return None, None


def is_mostly_chinese(text):
    """Whether at least a third of the text's characters, spaces left out, are Chinese."""
    letters = len(text) - text.count(" ")
    # A Chinese character is 3 or 4 bytes of UTF-8, any other at least 1: a text with too few bytes beyond one a
    # character cannot be a third Chinese, and is not searched for Chinese runs (40 µs for an English body).
    bytes_beyond_one = len(text.encode("utf-8", "surrogatepass")) - len(text)
    if bytes_beyond_one * 3 < letters * 2:
        return False
    return letters > 0 and sum(map(len, CJK_RUN.findall(text))) * 3 >= letters


def results_key(language, query, page):
    """The cache key of a page of results: the release digest in it, the query hashed (it may hold anything a visitor
    typed). The cache generation the results were rendered in is stored with them (cached_results), so that the
    generation and the results are asked for in one round trip (caching.page_cache.generation_and_entries)."""
    searched = hashlib.sha256(f"{language}:{query}:{page[:8]}".encode()).hexdigest()[:32]
    return f"search:{release_digest()}:{searched}"


def cached_results(entry, generation):
    """The results in `entry` (as cache_results stored them), if they were rendered in `generation`; else None."""
    if entry is None or generation is None or entry[0] != generation["began"]:
        return None
    return entry[1]


def cache_results(key, results, generation):
    if generation is None:
        return  # the cache cannot be used now
    try:
        cache.set(key, (generation["began"], results), timeout=RESULTS_CACHED_SECONDS)
    except Exception:  # noqa: BLE001 - the cache server is down: the visitor still gets the results
        logger.warning("Cache unavailable: search results not cached", exc_info=True)


def over_search_limit(request):
    """Counts one more search for the visitor's network in the shared cache; True once the minute's limit is passed."""
    key = f"search:limit:{anonymised_network(client_address(request))}"
    try:
        count = count_in_window(key, SEARCH_LIMIT_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - the cache server is down: readers still search
        logger.warning("Cache unavailable: searches are not counted", exc_info=True)
        return False
    return count > settings.SEARCHES_PER_MINUTE
