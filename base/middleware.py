from .languages import site_language


class ContentLanguageMiddleware:
    """Names the page's language in the Content-Language header as its HTML does ("zh-Hans", not Django's
    "zh-hans"): Baidu reads this header and ignores hreflang."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Content-Language"] = site_language().html_code
        return response
