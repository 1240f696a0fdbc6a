"""
txnetserver._ports on loopback: a UNIX server removes, on close, only the
socket file it bound (same device and inode), never what replaced it.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile

from ._loopback import asyncTest, closed, echoRoundTrip, listening
from .test_server import ServerTestCase


class UNIXUnlinkTests(ServerTestCase):
    def path(self) -> str:
        directory = tempfile.mkdtemp(prefix="txns-")
        self.addCleanup(shutil.rmtree, directory, True)
        return os.path.join(directory, "s.sock")

    @asyncTest
    async def test_close_removes_the_socket_it_bound(self) -> None:
        path = self.path()
        server = self.makeServer()
        server.listen(path)
        await listening(server)
        await closed(server)
        self.assertFalse(os.path.exists(path))

    @asyncTest
    async def test_a_file_that_replaced_the_socket_is_left_alone(self) -> None:
        path = self.path()
        server = self.makeServer()
        server.listen(path)
        await listening(server)
        os.unlink(path)
        with open(path, "w") as replacement:
            replacement.write("not a socket")
        await closed(server)
        with open(path) as kept:
            self.assertEqual(kept.read(), "not a socket")

    @asyncTest
    async def test_the_socket_of_a_later_server_at_the_same_path_is_left_alone(self) -> None:
        path = self.path()
        first = self.makeServer()
        first.listen(path)
        await listening(first)
        os.unlink(path)  # as a careless deploy script would
        second = self.makeServer(lambda s: s.pipe(s))
        second.listen(path)
        await listening(second)
        await closed(first)
        self.assertTrue(os.path.exists(path))
        self.assertEqual(await echoRoundTrip(path, b"still mine"), b"still mine")
        await closed(second)
        self.assertFalse(os.path.exists(path))

    @asyncTest
    async def test_another_socket_bound_at_the_path_is_left_alone(self) -> None:
        path = self.path()
        server = self.makeServer()
        server.listen(path)
        await listening(server)
        os.unlink(path)
        with socket.socket(socket.AF_UNIX) as other:
            other.bind(path)
            await closed(server)
            self.assertTrue(os.path.exists(path))
