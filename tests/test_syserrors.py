"""Tests for txnetserver._syserrors: Node's system errors in libuv's message format."""

from __future__ import annotations

import errno

from txnetserver._syserrors import (
    dnsException,
    epipeAfterEnd,
    errnoException,
    uvExceptionWithHostPort,
)


def test_listen_error_message_and_fields_follow_libuv() -> None:
    err = uvExceptionWithHostPort(errno.EADDRINUSE, "listen", "::", 40557)
    assert isinstance(err, OSError)
    assert (err.code, err.errno, err.syscall, err.address, err.port) == (
        "EADDRINUSE",
        errno.EADDRINUSE,
        "listen",
        "::",
        40557,
    )
    assert str(err) == "listen EADDRINUSE: address already in use :::40557"


def test_listen_error_leaves_out_port_zero_and_keeps_unix_port_minus_one() -> None:
    noPort = uvExceptionWithHostPort(errno.EADDRNOTAVAIL, "listen", "192.0.2.1", 0)
    assert str(noPort) == "listen EADDRNOTAVAIL: address not available 192.0.2.1"
    assert noPort.port is None
    unix = uvExceptionWithHostPort(errno.EADDRINUSE, "listen", "/tmp/x.sock", -1)
    assert str(unix) == "listen EADDRINUSE: address already in use /tmp/x.sock"
    assert unix.port == -1
    fd = uvExceptionWithHostPort(errno.EINVAL, "listen", None, None)
    assert str(fd) == "listen EINVAL: invalid argument"
    assert fd.address is None


def test_errno_and_dns_exceptions() -> None:
    reset = errnoException(errno.ECONNRESET, "read")
    assert (str(reset), reset.code, reset.syscall) == ("read ECONNRESET", "ECONNRESET", "read")
    dns = dnsException(-2, "no.such.host.invalid", "ENOTFOUND")
    assert str(dns) == "getaddrinfo ENOTFOUND no.such.host.invalid"
    assert (dns.code, dns.syscall, dns.hostname) == (
        "ENOTFOUND",
        "getaddrinfo",
        "no.such.host.invalid",
    )
    epipe = epipeAfterEnd()
    assert (epipe.code, str(epipe)) == ("EPIPE", "This socket has been ended by the other party")
