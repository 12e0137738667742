"""Parts of news pages rendered once and cached (Django's cache API, shared by the workers): story cards, and a
story's own text and picture on its page.

A fragment's key names everything it is rendered from: the release digest (operations/release.py), the page's
language, the story and when it last changed, the translation shown and when it last changed, and whatever else the
fragment shows. An edit or a publication therefore makes new keys and nothing needs invalidating: fragments no
longer shown simply expire. A translation visitors may not read (a draft a staff member previews) has keys of its
own, and so do a published translation's unpublished changes. While the cache server is down, fragments are
rendered every time (caching/fragments.py caches them).
"""

from operations.release import release_digest


def fragment_key(kind, language, story, *more):
    """The key of a fragment of `kind` showing `story` (the translation shown) on a page in `language`."""
    translation = story.shown_translation
    # The image too: a background job puts a new one on the story without changing updated_at (news/images.py).
    parts = [kind, release_digest(), language.code, story.pk, story.updated_at.timestamp(), story.image.name]
    parts += [translation.pk, translation.changed_at.timestamp(), *more]
    if drafted_at := getattr(translation, "shown_draft_at", None):
        # Unpublished changes shown to staff or a preview link: never the published text's fragment.
        parts.append(f"draft{drafted_at.timestamp()}")
    return ":".join(str(part) for part in parts)
