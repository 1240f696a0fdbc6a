"""
Name resolution as Node's ``dns.lookup`` does it, for ``listen(port, host)``
and ``connect()``.

Node resolves a host name with getaddrinfo(3) on its thread pool and reports a
failure as ``getaddrinfo ENOTFOUND host``; an IP literal is answered without
asking the resolver.  Here :func:`lookup` runs getaddrinfo on the reactor's
thread pool (or, on a reactor without threads such as a memory reactor, on the
next tick) and :func:`lookupNow` blocks, for start-up code that runs before
the reactor does.  Both fail with Node's :class:`~txnetserver.errors.NodeSystemError`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any, Literal, overload

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.threads import deferToThreadPool

from txnetserver._syserrors import NodeSystemError, dnsException
from txnetserver._tick import nextTick

__all__ = ["LookupAddress", "isIPLiteral", "lookup", "lookupError", "lookupNow"]


@dataclass(frozen=True, slots=True)
class LookupAddress:
    """One answer of Node's ``dns.lookup``: ``{address, family}`` (family 4 or 6)."""

    address: str
    family: Literal[4, 6]


def isIPLiteral(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (an IPv6 ``%scope`` allowed), not a name."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


# Node's family option (0, 4, 6) as getaddrinfo's.
_FAMILIES = {0: socket.AF_UNSPEC, 4: socket.AF_INET, 6: socket.AF_INET6}


def _isLinkLocalIPv6(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_link_local


def _answers(host: str, family: int, hints: int) -> list[LookupAddress]:
    """getaddrinfo's answers in its order (Node's ``verbatim``), one per address."""
    if isIPLiteral(host):
        version = ipaddress.ip_address(host.split("%", 1)[0]).version
        if family in (0, version):
            return [LookupAddress(host, 6 if version == 6 else 4)]
    infos = socket.getaddrinfo(host, None, _FAMILIES[family], socket.SOCK_STREAM, 0, hints)
    answers: list[LookupAddress] = []
    for infoFamily, _, _, _, sockaddr in infos:
        answer = LookupAddress(str(sockaddr[0]), 6 if infoFamily == socket.AF_INET6 else 4)
        if answer not in answers:
            answers.append(answer)
    return answers


@overload
def lookupNow(
    host: str, family: int = ..., hints: int = ..., all: Literal[False] = ...
) -> LookupAddress: ...
@overload
def lookupNow(
    host: str, family: int = ..., hints: int = ..., *, all: Literal[True]
) -> list[LookupAddress]: ...
def lookupNow(
    host: str, family: int = 0, hints: int = 0, all: bool = False
) -> LookupAddress | list[LookupAddress]:
    """
    Node 22's ``dns.lookup(host, {family, hints, all})``, blocking: every
    answer with ``all``, otherwise the first one that is not IPv6 link-local
    (a link-local address cannot be bound or reached without its scope).
    ``family`` is 0 (any), 4 or 6; ``hints`` are getaddrinfo's ``AI_*`` flags,
    which Node's ``dns.ADDRCONFIG`` and friends equal.

    :raises NodeSystemError: the lookup failed (``getaddrinfo ENOTFOUND host``).
    """
    return _lookupNow(host, family, hints, all)


def _lookupNow(
    host: str, family: int, hints: int, all: bool
) -> LookupAddress | list[LookupAddress]:
    try:
        answers = _answers(host, family, hints)
    except socket.gaierror as e:
        raise lookupError(e, host) from None
    if all:
        return answers
    for answer in answers:
        if answer.family == 6 and _isLinkLocalIPv6(answer.address):
            continue
        return answer
    raise lookupError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), host)


@overload
def lookup(
    reactor: Any, host: str, family: int = ..., hints: int = ..., all: Literal[False] = ...
) -> Deferred[LookupAddress]: ...
@overload
def lookup(
    reactor: Any, host: str, family: int = ..., hints: int = ..., *, all: Literal[True]
) -> Deferred[list[LookupAddress]]: ...
def lookup(
    reactor: Any, host: str, family: int = 0, hints: int = 0, all: bool = False
) -> Deferred[LookupAddress] | Deferred[list[LookupAddress]]:
    """
    :func:`lookupNow` without blocking the reactor: the Deferred fires with
    the answer, or fails with Node's error.  An IP literal, like Node's
    ``dns.lookup``, is answered on the next tick without the resolver.
    """
    d: Deferred[Any] = Deferred()
    threadPool = getattr(reactor, "getThreadPool", None)
    if isIPLiteral(host) or threadPool is None:
        # No thread pool (a memory reactor in tests): on the next tick,
        # blocking briefly, so the answer still comes after the caller returns.
        def answerNow() -> None:
            maybeDeferred(_lookupNow, host, family, hints, all).chainDeferred(d)

        nextTick(reactor, answerNow)
    else:
        pool = threadPool()
        deferToThreadPool(reactor, pool, _lookupNow, host, family, hints, all).chainDeferred(d)
    return d


def lookupError(error: socket.gaierror, host: str) -> NodeSystemError:
    """A getaddrinfo failure as Node reports it: ``getaddrinfo ENOTFOUND host``."""
    return dnsException(error.errno or 0, host, dnsCode(error.errno))


def dnsCode(errnum: int | None) -> str:
    """Node's code for a getaddrinfo error: EAI_NONAME and EAI_NODATA are ``ENOTFOUND``."""
    names = {
        socket.EAI_NONAME: "ENOTFOUND",
        getattr(socket, "EAI_NODATA", -5): "ENOTFOUND",
        socket.EAI_AGAIN: "EAI_AGAIN",
        socket.EAI_FAIL: "EAI_FAIL",
    }
    return names.get(errnum or 0, "ENOTFOUND")
