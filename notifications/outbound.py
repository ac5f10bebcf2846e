"""Outbound HTTP for webhook and Slack channels, safe against server-side request forgery.

Only ``http``/``https`` URLs without credentials; the host is resolved and every address it
resolves to must be public (not loopback, link-local, private, shared, reserved, multicast or a
cloud metadata address, also when written as an IPv4-mapped, 6to4 or NAT64 IPv6 address) unless
the allow-list names the host or a network containing the address. The allow-list is
``settings.PORTAL_OUTBOUND_ALLOWLIST`` plus the admins' ``OutboundAllowEntry`` rows.

The check runs when a channel is saved and again at every delivery, and the request goes to
the very address that was checked (the host name travels in ``Host`` and TLS SNI), so a DNS
answer that changes in between (DNS rebinding) cannot point a delivery somewhere else.
Redirects are never followed; connect and read time out.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from notifications.models import OutboundAllowEntry

URL_MAX_LENGTH = 2000
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
RESPONSE_SNIPPET_BYTES = 1000
USER_AGENT = "MLOps-Portal-Notifications/1.0"

_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$"
)
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeUrl(Exception):
    """The URL may not be used: the message says why, for the person who typed it.

    ``destination``: the URL is well formed, but where it leads is refused now (a loopback,
    link-local, private or reserved address not on the allow-list, or a host that does not
    resolve): the answer depends on DNS and the allow-list, not on the text alone."""

    def __init__(self, message: str, *, destination: bool = False):
        super().__init__(message)
        self.message = message
        self.destination = destination


class TransientError(Exception):
    """Worth another attempt later: a timeout, a refused or dropped connection."""


class PermanentError(Exception):
    """Another attempt would fail the same way: a TLS certificate problem."""


# --- the allow-list -------------------------------------------------------------------------


def allow_entry_normalize(value: str) -> str:
    """A host name (lowercase, no port) or an address/CIDR in canonical form; ValueError
    when it is neither."""
    text = value.strip().lower().rstrip(".")
    if not text:
        raise ValueError("must not be blank")
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        pass
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{value!r} is neither a host name nor an address or CIDR") from exc
    if not _HOST_NAME.match(text):
        raise ValueError(f"{value!r} is neither a host name nor an address or CIDR")
    return text


@dataclass(frozen=True)
class Allowlist:
    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def of(cls, entries) -> Allowlist:
        hosts, networks = set(), []
        for entry in entries:
            try:
                normalized = allow_entry_normalize(entry)
            except ValueError:
                continue  # a bad environment entry allows nothing
            try:
                networks.append(ipaddress.ip_network(normalized))
            except ValueError:
                hosts.add(normalized)
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host in self.hosts

    def allows_address(self, address) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


def allowlist_current() -> Allowlist:
    """The environment's entries and the admins' (one query)."""
    entries = list(settings.PORTAL_OUTBOUND_ALLOWLIST)
    entries += OutboundAllowEntry.objects.values_list("value", flat=True)
    return Allowlist.of(entries)


# --- addresses ------------------------------------------------------------------------------


def address_problem(address) -> str | None:
    """Why ``address`` may not be reached without an allow-list entry (None: it may)."""
    if address.version == 6:
        embedded = None
        if address.ipv4_mapped is not None:
            embedded = address.ipv4_mapped
        elif address in _SIX_TO_FOUR:
            embedded = address.sixtofour
        elif address in _NAT64 or address in _NAT64_LOCAL:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private or not address.is_global:
        return "a private or reserved address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    host_header: str
    addresses: tuple[str, ...]


def url_check(url, *, allowlist: Allowlist | None = None) -> Target:
    """The URL as a :class:`Target`, or :class:`UnsafeUrl` saying why it may not be used."""
    if not isinstance(url, str) or not url:
        raise UnsafeUrl("must be an http or https URL.")
    if len(url) > URL_MAX_LENGTH:
        raise UnsafeUrl(f"at most {URL_MAX_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UnsafeUrl("must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl(f"must be an http or https URL, not {scheme or 'a relative one'!r}.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not carry credentials (user:password@).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("must name a host.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise UnsafeUrl(f"{host!r} is not a valid host name.") from exc
    port = port or (443 if scheme == "https" else 80)
    allowlist = allowlist if allowlist is not None else allowlist_current()

    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise UnsafeUrl(f"the host {host!r} does not resolve.", destination=True)
    if not allowlist.allows_host(host):
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            problem = address_problem(address)
            if problem and not allowlist.allows_address(address):
                shown = host if literal is None else str(literal)
                raise UnsafeUrl(
                    f"{shown!r} resolves to {address}, {problem}; an admin can allow it on the "
                    "outbound allow-list."
                    if literal is None
                    else f"{shown} is {problem}; an admin can allow it on the outbound allow-list.",
                    destination=True,
                )
    bracketed = f"[{host}]" if literal is not None and literal.version == 6 else host
    default_port = 443 if scheme == "https" else 80
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        host_header=host_header,
        addresses=tuple(addresses),
    )


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    retry_after: int | None
    snippet: str


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None  # an HTTP date is rare for webhooks; our own backoff applies then


def _pool(target: Target, address: str):
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def post_json(target: Target, *, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """POST ``body`` as JSON to the checked address of ``target`` (never following a redirect).

    Raises :class:`TransientError` on timeouts and connection failures, :class:`PermanentError`
    on TLS failures; any HTTP status is returned."""
    request_headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **(headers or {}),
    }
    last_error: Exception | None = None
    for address in target.addresses:
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                snippet = response.read(RESPONSE_SNIPPET_BYTES, decode_content=False)
            except Urllib3Error:
                snippet = b""
            finally:
                response.release_conn()
            return Response(
                status=response.status,
                retry_after=_retry_after(response.headers.get("Retry-After")),
                snippet=snippet.decode("utf-8", "replace"),
            )
        except SSLError as exc:
            raise PermanentError(f"TLS failed: {exc}") from exc
        except NewConnectionError as exc:  # (urllib3 makes it a kind of timeout)
            last_error = exc  # refused or unreachable: try the host's next checked address
            continue
        except Urllib3Timeout as exc:
            raise TransientError(f"timed out: {exc}") from exc
        except (Urllib3Error, OSError) as exc:
            last_error = exc  # try the next checked address of the host, if any
        finally:
            pool.close()
    raise TransientError(f"could not connect: {last_error}")
