"""Pages of stories, for the lists and the sitemap."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator


class StoryPaginator(Paginator):
    """Django's paginator, without counting the stories: a page reads one story more than it shows, to know
    whether another page follows. Counting visits every public story (14 ms at 10,000 stories on PostgreSQL),
    while a page reads only its own rows. Only what needs the number of pages counts them (?page=last, the
    sitemap index)."""

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
        start = (number - 1) * self.per_page
        stories = list(self.object_list[start : start + self.per_page + 1])
        if not stories and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        return StoryPage(stories[: self.per_page], number, self, has_next=len(stories) > self.per_page)


class StoryPage(Page):
    def __init__(self, object_list, number, paginator, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next
