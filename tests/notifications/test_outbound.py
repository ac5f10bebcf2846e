"""Outbound URL safety: only http(s), never loopback, link-local (metadata), private or reserved
addresses unless the allow-list names them; hosts are resolved and every address checked."""

from __future__ import annotations

import pytest

from notifications import outbound
from notifications.outbound import Allowlist, UnsafeUrl, url_check

EMPTY = Allowlist.of([])


@pytest.mark.parametrize(
    "url, problem",
    [
        ("ftp://hooks.example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://hooks.example.com/", "http or https"),
        ("//hooks.example.com/x", "http or https"),
        ("hooks.example.com/x", "http or https"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https:///path-only", "must name a host"),
        ("https://hooks.example.com/a b", "spaces"),
        ("http://127.0.0.1:8000/x", "loopback"),
        ("http://[::1]/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/x", "link-local"),
        ("http://10.0.0.5/x", "private"),
        ("http://172.16.3.4/x", "private"),
        ("http://192.168.0.10/x", "private"),
        ("http://100.100.100.200/x", "private or reserved"),  # Alibaba metadata (shared space)
        ("http://[fd00:ec2::254]/x", "private"),  # AWS metadata over IPv6
        ("http://0.0.0.0/x", "unspecified"),
        ("http://224.0.0.1/x", "multicast"),
        ("http://[::ffff:127.0.0.1]/x", "loopback"),  # IPv4-mapped
        ("http://[2002:7f00:1::]/x", "loopback"),  # 6to4 of 127.0.0.1
        ("http://[64:ff9b::a9fe:a9fe]/x", "link-local"),  # NAT64 of 169.254.169.254
        ("http://localhost/x", "loopback"),
        ("http://internal.example.com/x", "private"),
        ("http://metadata.example.com/x", "link-local"),
        ("http://mixed.example.com/x", "private"),  # one bad address is enough
        ("https://nowhere.example.com/x", "does not resolve"),
    ],
)
def test_unsafe_urls_are_refused_saying_why(url, problem, dns):
    with pytest.raises(UnsafeUrl, match=problem):
        url_check(url, allowlist=EMPTY)


def test_a_public_host_is_accepted_with_its_checked_addresses(dns):
    target = url_check("https://Hooks.Example.com/services/T1?x=1", allowlist=EMPTY)
    assert target.host == "hooks.example.com"
    assert target.port == 443
    assert target.path == "/services/T1?x=1"
    assert target.host_header == "hooks.example.com"
    assert target.addresses == ("93.184.215.14",)
    assert url_check("http://93.184.215.14:8080", allowlist=EMPTY).host_header == (
        "93.184.215.14:8080"
    )


def test_the_allow_list_names_hosts_addresses_or_networks(dns):
    assert url_check("http://localhost:9000/x", allowlist=Allowlist.of(["LOCALHOST"])).addresses
    assert url_check("http://10.0.0.5/x", allowlist=Allowlist.of(["10.0.0.0/8"])).addresses
    assert url_check("http://internal.example.com/", allowlist=Allowlist.of(["10.1.2.3"]))
    assert url_check("http://[::1]:81/", allowlist=Allowlist.of(["::1"])).host_header == "[::1]:81"
    with pytest.raises(UnsafeUrl):  # another private network is still refused
        url_check("http://192.168.0.10/x", allowlist=Allowlist.of(["10.0.0.0/8"]))
    with pytest.raises(UnsafeUrl):  # a bad entry allows nothing
        url_check("http://127.0.0.1/x", allowlist=Allowlist.of(["not a host!", ""]))


def test_the_allow_list_comes_from_the_environment_and_the_admins(db, dns, settings):
    from notifications.models import OutboundAllowEntry

    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    OutboundAllowEntry.objects.create(value="internal.example.com")
    assert url_check("http://127.0.0.1:5000/").addresses == ("127.0.0.1",)
    assert url_check("http://internal.example.com/").addresses == ("10.1.2.3",)
    with pytest.raises(UnsafeUrl):
        url_check("http://10.0.0.5/")


@pytest.mark.parametrize(
    "value, normalized",
    [
        ("Hooks.Example.COM.", "hooks.example.com"),
        ("10.0.0.1", "10.0.0.1/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("::1", "::1/128"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_allow_entries_are_normalized(value, normalized):
    assert outbound.allow_entry_normalize(value) == normalized


@pytest.mark.parametrize("value", ["", "   ", "http://x", "a b", "-bad-.example", "x" * 300])
def test_bad_allow_entries_are_refused(value):
    with pytest.raises(ValueError):
        outbound.allow_entry_normalize(value)


def test_no_redirect_is_followed(receiver, dns):
    receiver.reply(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    target = url_check(receiver.url, allowlist=Allowlist.of(["127.0.0.1"]))
    response = outbound.post_json(target, body=b"{}")
    assert response.status == 302
    assert len(receiver.received) == 1


def test_the_request_goes_to_the_checked_address_with_the_host_name(receiver, dns):
    dns["receiver.example.com"] = ["127.0.0.1"]
    target = url_check(
        f"http://receiver.example.com:{receiver.port}/in",
        allowlist=Allowlist.of(["receiver.example.com"]),
    )
    dns["receiver.example.com"] = ["10.9.9.9"]  # a later answer does not move the request
    response = outbound.post_json(target, body=b'{"a":1}', headers={"X-Test": "1"})
    assert response.status == 200
    (request,) = receiver.received
    assert request.path == "/in"
    assert request.headers["Host"] == f"receiver.example.com:{receiver.port}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Test"] == "1"
    assert request.body == b'{"a":1}'


def test_a_receiver_that_does_not_answer_times_out(receiver, dns, monkeypatch):
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.2)
    receiver.hang = True
    target = url_check(receiver.url, allowlist=Allowlist.of(["127.0.0.1"]))
    with pytest.raises(outbound.TransientError, match="timed out"):
        outbound.post_json(target, body=b"{}")


def test_a_refused_connection_is_transient(dns):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = url_check(f"http://127.0.0.1:{port}/", allowlist=Allowlist.of(["127.0.0.1"]))
    with pytest.raises(outbound.TransientError, match="could not connect"):
        outbound.post_json(target, body=b"{}")


def _self_signed(tmp_path, host: str):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for receiver.example.com."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert_file, key_file = _self_signed(tmp_path, "receiver.example.com")
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.headers.get("Host"))
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1], cert_file, seen
    server.shutdown()
    server.server_close()


def test_tls_is_verified_against_the_host_name_not_the_address(tls_receiver, dns, monkeypatch):
    port, cert_file, seen = tls_receiver
    dns["receiver.example.com"] = ["127.0.0.1"]
    allow = Allowlist.of(["127.0.0.1"])
    target = url_check(f"https://receiver.example.com:{port}/in", allowlist=allow)
    with pytest.raises(outbound.PermanentError, match="TLS failed"):  # not a trusted issuer
        outbound.post_json(target, body=b"{}")
    assert seen == []

    real_pool = outbound._pool

    def trusting_our_issuer(target, address):
        pool = real_pool(target, address)
        pool.ca_certs = str(cert_file)
        return pool

    monkeypatch.setattr(outbound, "_pool", trusting_our_issuer)
    assert outbound.post_json(target, body=b"{}").status == 204  # the name matches the cert
    assert seen == [f"receiver.example.com:{port}"]
    by_address = url_check(f"https://127.0.0.1:{port}/in", allowlist=allow)
    with pytest.raises(outbound.PermanentError, match="TLS failed"):  # the address does not
        outbound.post_json(by_address, body=b"{}")
