"""The visitor's address, as the site's own proxies saw it.

Each proxy appends the address it received the request from to X-Forwarded-For. Only a peer inside
TRUSTED_PROXY_NETWORKS is a proxy of ours; from any other peer the header is the client's own invention and the peer
is the visitor. Behind our proxy, the entries are read right to left: each one inside the networks is another proxy
of ours (a CDN in front of nginx, when its networks are listed), and the first one outside them is the visitor.
Anything further left was written by the client and may be made up.
"""

import functools
import ipaddress

from django.conf import settings

# Set in the WSGI environ of the requests the background worker makes to render pages for visitors
# (caching/warm_up.py). Only a server puts a key without the HTTP_ prefix there: no visitor can send it.
WARM_UP_ENVIRON_KEY = "ietp.warm_up"


def is_warm_up(request):
    """Whether the worker is rendering this page ahead of visitors (caching/warm_up.py), not a visitor asking."""
    return bool(request.META.get(WARM_UP_ENVIRON_KEY))


@functools.lru_cache(maxsize=16)
def proxy_networks(networks):
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _is_proxy(address):
    return any(address in network for network in proxy_networks(tuple(settings.TRUSTED_PROXY_NETWORKS)))


def client_address(request):
    """The visitor's IP address: REMOTE_ADDR, or when that peer is a trusted proxy, the right-most hop outside them."""
    remote = request.META.get("REMOTE_ADDR", "")[:64]
    if not settings.TRUST_X_FORWARDED_FOR:
        return remote
    try:
        visitor = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while _is_proxy(visitor) and hops:
        try:
            visitor = ipaddress.ip_address(hops.pop())
        except ValueError:  # not an address: a proxy misconfigured, never a visitor's choice to trust
            break
    return str(visitor)


@functools.lru_cache(maxsize=4096)
def anonymised_network(address):
    """The network an address belongs to, without the address itself (IPv4 /24, IPv6 /48), for the logs."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
