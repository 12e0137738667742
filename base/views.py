import functools
import io

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@functools.lru_cache(maxsize=1024)
def qr_code_svg(content):
    """An SVG QR code, drawn once per content (the WeChat account, a story's address): no image is fetched from
    another host."""
    svg = io.BytesIO()
    segno.make(content, error="m").save(svg, kind="svg", xmldecl=False, scale=4, border=2, dark="#1a1c1e", light="#fff")
    return svg.getvalue()


@require_safe
@cache_control(public=True, max_age=24 * 60 * 60)
def wechat_qr_code(request):
    """The QR code of the WeChat official account, which Chinese readers scan to follow it."""
    if not settings.WECHAT_ACCOUNT_URL:
        raise Http404("No WeChat account is configured.")
    svg = qr_code_svg(settings.WECHAT_ACCOUNT_URL)
    return HttpResponse(svg, content_type="image/svg+xml")
