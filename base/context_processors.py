from .languages import site_language


def page_language(request):
    """The language of the page being drawn, as a SiteLanguage (templates use its html_code)."""
    return {"page_language": site_language()}
