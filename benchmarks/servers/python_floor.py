"""
The Python floor: the least any Python echo server does per chunk (one epoll
loop, ``recv_into`` a reused buffer, ``send``), with no framework at all.  What
no Python implementation of Node's API can beat on this machine.  What the
kernel does not take is kept and sent on EPOLLOUT, with reading stopped.
"""

import select
import socket
import sys

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((sys.argv[1], 0))
listener.listen(4096)
listener.setblocking(False)
print("ready", listener.getsockname()[1], flush=True)
poller = select.epoll()
listenerFD = listener.fileno()
poller.register(listenerFD, select.EPOLLIN)
connections: dict[int, socket.socket] = {}
pending: dict[int, memoryview] = {}
buffer = bytearray(262144)
view = memoryview(buffer)
while True:
    for fd, _event in poller.poll():
        if fd == listenerFD:
            while True:
                try:
                    client, _ = listener.accept()
                except BlockingIOError:
                    break
                client.setblocking(False)
                connections[client.fileno()] = client
                poller.register(client.fileno(), select.EPOLLIN)
            continue
        client = connections[fd]
        try:
            if fd in pending:  # EPOLLOUT: flush what is left, then read again
                rest = pending[fd]
                sent = client.send(rest)
                if sent < len(rest):
                    pending[fd] = rest[sent:]
                else:
                    del pending[fd]
                    poller.modify(fd, select.EPOLLIN)
                continue
            n = client.recv_into(buffer)
        except BlockingIOError:
            continue
        except OSError:
            n = 0
        if n == 0:
            poller.unregister(fd)
            del connections[fd]
            pending.pop(fd, None)
            client.close()
            continue
        try:
            sent = client.send(view[:n])
        except BlockingIOError:
            sent = 0
        except OSError:
            continue
        if sent < n:
            pending[fd] = memoryview(bytes(view[sent:n]))
            poller.modify(fd, select.EPOLLOUT)
