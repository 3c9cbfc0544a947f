"""The client's IP address: the one function every rate limit and login record uses.

``X-Forwarded-For`` is anyone's to write, so it is read only when the connection comes from a
configured trusted proxy (``settings.trusted_proxies``; none by default). Then the header is
read from the right, skipping the trusted proxies' own entries: the first address that is not
a trusted proxy is the client, and whatever it wrote further left is ignored. A client that
rotates the header therefore keeps its address, and its rate-limit budget.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request

from oncegov.config import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # no peer address at all (an in-process test client without one)


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 10.1.0.0/16, ::1"`` → networks; a bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(part.strip()) for part in spec.split(",") if part.strip())


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Request) -> str:
    peer = request.client.host if request.client else UNKNOWN
    networks = trusted_networks(settings.trusted_proxies)
    if not _is_trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: the last trusted hop is the best we know
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client
