"""The visitor's address, as the site's own proxies saw it.

Each proxy appends the address it received the request from to X-Forwarded-For, so only the right-most
TRUSTED_PROXY_COUNT entries were written by proxies the site trusts; anything to their left was written by the
client and may be made up. With one trusted proxy (the front web server), the visitor is the last entry; with a CDN
in front of it as well, the second last.
"""

import functools
import ipaddress

from django.conf import settings


def client_address(request):
    """The visitor's IP address: REMOTE_ADDR, or with TRUST_X_FORWARDED_FOR, the right-most untrusted hop."""
    remote = request.META.get("REMOTE_ADDR", "")[:64]
    if not settings.TRUST_X_FORWARDED_FOR:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than proxies: the request skipped one; the left-most hop is still one a proxy wrote.
    candidate = hops[-min(settings.TRUSTED_PROXY_COUNT, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # not an address: a proxy misconfigured, never a visitor's choice to trust
        return remote


@functools.lru_cache(maxsize=4096)
def anonymised_network(address):
    """The network an address belongs to, without the address itself (IPv4 /24, IPv6 /48), for the logs."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
