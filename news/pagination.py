"""Pages of stories, for the lists and the sitemap.

A page is read from its first story on, not by skipping the stories before it: `OFFSET 9960` makes the database
walk 9,960 stories (30-50 ms at 10,000 stories on PostgreSQL) for the 12 it shows. The first story of every page
(its place in the order: date and id, or id) is found once per cache generation, by one narrow query, and kept in
the shared cache; a page then starts there (an index range) and reads one story more than it shows, to know whether
another follows. Within a generation the published stories cannot change (a save or a scheduled time starts a new
one: caching/page_cache.py), so the positions stay true for as long as they are kept. The first pages, which most
readers see, are read directly: the walk to them is short.
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q
from django.utils.functional import cached_property

from caching.page_cache import generation_key, keep_for_generation, read_for_generation

# Pages up to this one are read with OFFSET (at most this many pages of stories walked).
PAGES_READ_DIRECTLY = 5


class ListOrder:
    """Newest first (LIST_ORDER: the date, undated stories last, then the id, highest first)."""

    fields = ("publish_at", "pk")

    @staticmethod
    def from_start_of(position):
        publish_at, pk = position
        if publish_at is None:
            return Q(publish_at__isnull=True, pk__lte=pk)
        # publish_at <= date first: the condition the date index can start from.
        return Q(publish_at__lte=publish_at) & (Q(publish_at__lt=publish_at) | Q(pk__lte=pk)) | Q(
            publish_at__isnull=True
        )


class WrittenOrder:
    """The order stories were written in (the sitemap's): by id."""

    fields = ("pk",)

    @staticmethod
    def from_start_of(position):
        return Q(pk__gte=position[0])


class StoryPaginator(Paginator):
    """Django's paginator, without counting the stories, and without OFFSET beyond the first pages when given an
    `order` (ListOrder, WrittenOrder: the queryset's ordering) and a `positions_name` that names the list (the same
    stories whatever the page's language: "list", "category:event"...). Counting visits every public story; only
    what needs the number of pages counts them (?page=last, the sitemap index)."""

    def __init__(self, object_list, per_page, *args, order=None, positions_name=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.order, self.positions_name = order, positions_name

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        # Beyond the first page, and within the offsets a database takes (64-bit integers).
        if number < 1 or number * self.per_page >= 2**63 - 1:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        stories = self.stories_from_page(number)
        if not stories and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        return StoryPage(stories[: self.per_page], number, self, has_next=len(stories) > self.per_page)

    def stories_from_page(self, number):
        """The page's stories and the next one, if any."""
        positions = self.page_positions if number > PAGES_READ_DIRECTLY and self.order else None
        if positions is None:
            start = (number - 1) * self.per_page
            return list(self.object_list[start : start + self.per_page + 1])
        if number > len(positions):
            return []
        return list(self.object_list.filter(self.order.from_start_of(positions[number - 1]))[: self.per_page + 1])

    @cached_property
    def num_pages(self):
        """From the pages' positions when there are any (they count the pages as they are found): one query, as
        counting is."""
        positions = self.page_positions if self.order else None
        return max(1, len(positions)) if positions is not None else super().num_pages

    @cached_property
    def page_positions(self):
        """Where each page starts, [(field value, ...), ...], from the shared cache or found now; None without the
        cache (the page is then read with OFFSET)."""
        key = generation_key("story-positions", self.positions_name, self.per_page) if self.positions_name else None
        if key is None:
            return None
        positions = read_for_generation(key)
        if positions is None:
            in_order = self.object_list.prefetch_related(None).values_list(*self.order.fields)
            positions = [tuple(row) for row in in_order[:: self.per_page]]
            keep_for_generation(key, positions)
        return positions


class StoryPage(Page):
    def __init__(self, object_list, number, paginator, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next
