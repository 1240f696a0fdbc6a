"""
txnetserver hosted by an asyncio application.

asyncio owns the event loop; Twisted's asyncio reactor runs on that same loop,
so a txnetserver Server serves next to asyncio code.  The two meet through
Twisted's bridges: ``Deferred.asFuture(loop)`` lets asyncio await a Twisted
result, ``Deferred.fromFuture(future)`` lets Twisted code use an asyncio one.

Run it (it serves on a free port, talks to itself with asyncio's own client,
then closes and exits)::

    python examples/asyncio_app.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from twisted.internet import asyncioreactor


async def shout(data: bytes) -> bytes:
    """The asyncio side of the application: any coroutine a handler needs."""
    await asyncio.sleep(0)
    return data.upper()


async def main() -> None:
    loop = asyncio.get_running_loop()
    # Before anything imports twisted.internet.reactor: Twisted runs on this loop.
    asyncioreactor.install(loop)

    from twisted.internet.defer import Deferred

    import txnetserver

    def onConnection(socket: txnetserver.Socket) -> None:
        def onData(data: bytes) -> None:
            # asyncio -> Twisted: the coroutine, scheduled on the loop, as a Deferred.
            shouted = Deferred.fromFuture(asyncio.ensure_future(shout(data)))
            shouted.addCallback(socket.write)

        socket.on("data", onData)

    server = txnetserver.createServer(onConnection)
    listening: Deferred[None] = Deferred()
    server.once("listening", lambda: listening.callback(None))
    server.once("error", listening.errback)
    server.listen(0, "127.0.0.1")
    # Twisted -> asyncio: await the Deferred as an asyncio future.
    await listening.asFuture(loop)
    address: Any = server.address()
    print(f"listening on 127.0.0.1:{address.port}", flush=True)

    reader, writer = await asyncio.open_connection("127.0.0.1", address.port)
    writer.write(b"hello from asyncio\n")
    print((await reader.readline()).decode().strip(), flush=True)
    writer.close()
    await writer.wait_closed()

    closed: Deferred[None] = Deferred()

    def onClosed(error: BaseException | None) -> None:
        closed.callback(None)

    server.close(onClosed)
    await closed.asFuture(loop)
    print("closed", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
