"""
listen({"endpoint": "ssl:..."}): a Server serves TLS through Twisted's ssl:
endpoint, with a certificate made for the test, and a real TLS client.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import ssl
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import SSL4ClientEndpoint, connectProtocol

from txnetserver import Socket

from ._loopback import Client, asyncTest, event, listening, reactor
from .test_server import ServerTestCase


def makeCertificate(directory: str) -> tuple[str, bytes]:
    """A self-signed certificate for 127.0.0.1 in a PEM file; returns (path, cert PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "txnetserver-test")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certificatePEM = certificate.public_bytes(serialization.Encoding.PEM)
    path = os.path.join(directory, "server.pem")
    with open(path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        f.write(certificatePEM)
    return path, certificatePEM


class TLSTests(ServerTestCase):
    async def serveTLS(self, onConnection: Any) -> tuple[Any, Client]:
        directory = tempfile.mkdtemp(prefix="txns-tls-")
        pem, certificatePEM = makeCertificate(directory)
        self.addCleanup(lambda: (os.unlink(pem), os.rmdir(directory)))
        server = self.makeServer(onConnection)
        server.listen({"endpoint": f"ssl:0:interface=127.0.0.1:privateKey={pem}"})
        await listening(server)
        port = server.address().port  # type: ignore[union-attr]
        authority = ssl.Certificate.loadPEM(certificatePEM)
        options = ssl.optionsForClientTLS("127.0.0.1", trustRoot=authority)
        client = await connectProtocol(
            SSL4ClientEndpoint(reactor, "127.0.0.1", port, options), Client()
        )
        return server, client

    @asyncTest
    async def test_echo_over_tls(self) -> None:
        _server, client = await self.serveTLS(lambda s: s.pipe(s))
        client.write(b"secret")
        self.assertEqual(await client.waitForBytes(6), b"secret")
        client.close()
        await client.lost

    @asyncTest
    async def test_socket_events_and_addresses_over_tls(self) -> None:
        accepted: Deferred[Socket] = Deferred()
        _server, client = await self.serveTLS(accepted.callback)
        sock = await accepted
        self.assertEqual(sock.remoteAddress, "127.0.0.1")
        self.assertEqual(sock.remotePort, client.transport.getHost().port)  # type: ignore[union-attr]
        log: list[str] = []
        sock.on("data", lambda data: log.append(f"data {data!r}"))
        sock.on("end", lambda: log.append("end"))
        sock.on("close", lambda hadError: log.append(f"close {hadError}"))
        sock.on("error", lambda error: log.append(f"error {error}"))
        closedEvent = event(sock, "close")
        client.write(b"hi")
        await event(sock, "data")
        sock.write(b"bye")
        self.assertEqual(await client.waitForBytes(3), b"bye")
        client.close()  # close_notify, then FIN
        await closedEvent
        self.assertEqual(log, ["data b'hi'", "end", "close False"])
