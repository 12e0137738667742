from django.conf import settings

from .languages import site_language


def page_language(request):
    """The language of the page being drawn, as a SiteLanguage (templates use its html_code)."""
    return {"page_language": site_language()}


def organisation(request):
    """How to reach the organisation, for the footer (each part empty unless configured)."""
    return {
        "organisation": {
            "email": settings.ORGANISATION_EMAIL,
            "address": settings.ORGANISATION_ADDRESS,
            "wechat_name": settings.WECHAT_ACCOUNT_NAME,
            "has_wechat": bool(settings.WECHAT_ACCOUNT_URL),
        }
    }
