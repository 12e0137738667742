import re

from django.conf import settings

from .languages import site_language
from .views import wechat_qr_code_version


def page_language(request):
    """The language of the page being rendered, as a SiteLanguage (templates use its html_code)."""
    return {"page_language": site_language()}


def organisation(request):
    """How to reach the organisation, for the footer (each part empty unless configured)."""
    return {
        "organisation": {
            "email": settings.ORGANISATION_EMAIL,
            "address": settings.ORGANISATION_ADDRESS,
            "wechat_name": settings.WECHAT_ACCOUNT_NAME,
            "has_wechat": bool(settings.WECHAT_ACCOUNT_URL),
            "wechat_qr_code_version": wechat_qr_code_version(),
            "icp_filing_number": settings.ICP_FILING_NUMBER,
            "psb_filing_number": settings.PSB_FILING_NUMBER,
            "psb_filing_url": psb_filing_url(settings.PSB_FILING_NUMBER),
        }
    }


def psb_filing_url(filing_number):
    """The public-security filing's page on the national register, found by the number's digits."""
    code = "".join(re.findall(r"\d", filing_number))
    return f"https://beian.mps.gov.cn/#/query/webSearch?code={code}" if code else "https://beian.mps.gov.cn/"
