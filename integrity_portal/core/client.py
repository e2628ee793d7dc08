"""Who is asking: the one place that turns a request into a client address.

Every limiter (API throttles, HTML form limits, the claim and sign-up limits) and django-axes ask
``client_ip``; none reads ``REMOTE_ADDR`` or ``X-Forwarded-For`` itself. A header is only as
trustworthy as the proxy that wrote it, so the header is ignored unless the deployment says how many
proxies stand in front of the portal:

* ``TRUSTED_PROXY_COUNT`` (env, int, default 0). With 0 the header is ignored and ``REMOTE_ADDR`` is
  the client: nothing a client sends can change its identity. With N > 0 the client is the N-th
  address from the right of ``X-Forwarded-For`` (each trusted proxy appends the address it saw, as
  nginx does with ``$proxy_add_x_forwarded_for``; anything to the left of that was written by the
  client and is never read). The header is read only when ``REMOTE_ADDR`` is set (a request from a
  real socket), and only if it has at least N entries.
* ``TRUSTED_PROXY_NETWORKS`` (env, comma-separated CIDRs, default empty). When not empty it narrows
  the count rule: the header is used only when ``REMOTE_ADDR`` *and* the N-1 entries to the right
  of the chosen one (the inner proxies) all lie in these networks. A request that reaches the
  application server around the proxy (from an address outside the networks) is identified by its
  ``REMOTE_ADDR``. It has no effect while the count is 0.

Whatever is read must parse as an IP address (``ipaddress``); otherwise — garbage, a port suffix,
NUL bytes, an empty entry — the answer falls back to ``REMOTE_ADDR``. Addresses are returned in
canonical form (an IPv4-mapped IPv6 address as IPv4), so one client has one spelling.

``rate_key`` is the identity for counting: the address itself for IPv4, the /64 network for IPv6,
because one IPv6 subscriber holds a whole /64 and could otherwise rotate addresses per request.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings

_MAX_HEADER = 4096  # a real chain is a handful of addresses; a longer header is not parsed at all


def _parse_ip(value) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.scope_id:
            ip = ipaddress.IPv6Address(int(ip))
    return ip


@functools.lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in spec if n and n.strip())


def _trusted(ip, networks) -> bool:
    return not networks or any(ip.version == net.version and ip in net for net in networks)


def _client_address(request):
    meta = getattr(request, "META", None) or {}
    remote = _parse_ip(meta.get("REMOTE_ADDR"))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0 or remote is None:
        return remote
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXY_NETWORKS", ()) or ()))
    if not _trusted(remote, networks):
        return remote
    header = meta.get("HTTP_X_FORWARDED_FOR")
    if not isinstance(header, str) or not header or len(header) > _MAX_HEADER:
        return remote
    hops = header.split(",")
    if len(hops) < count:
        return remote
    inner = [_parse_ip(h) for h in hops[len(hops) - count + 1 :]]
    if networks and not all(ip is not None and _trusted(ip, networks) for ip in inner):
        return remote
    return _parse_ip(hops[-count]) or remote


def client_ip(request) -> str:
    """The client's address as text (canonical form), or "" when the request has none at all."""
    ip = _client_address(request)
    return str(ip) if ip is not None else ""


def axes_client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the same address; None rather than "" (axes stores it in an IP field)."""
    return client_ip(request) or None


def rate_key(request) -> str:
    """The identity a rate limit counts: the IPv4 address, or the /64 of an IPv6 address."""
    return address_key(_client_address(request))


def address_key(address) -> str:
    """``rate_key`` for an address already known (text from ``client_ip``, or a parsed address)."""
    ip = address if not isinstance(address, str) else _parse_ip(address)
    if ip is None:
        return "ip:unknown"
    if ip.version == 6:
        return f"ip6:{ipaddress.IPv6Network((int(ip) >> 64 << 64, 64))}"
    return f"ip:{ip}"
