"""asyncio Protocol echo on the standard event loop, or on uvloop's (argv[2] ``uvloop``)."""

import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[attr-defined]


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, sys.argv[1], 0, backlog=4096)
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if sys.argv[2:3] == ["uvloop"]:
    import uvloop

    uvloop.run(main())
else:
    asyncio.run(main())
