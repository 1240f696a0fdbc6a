"""
One worker of ``twistd netserver --workers N`` (see :mod:`txnetserver._workers`):
runs the netserver service on the listening socket inherited as fd 3 until
SIGTERM or SIGINT, or until its parent is gone, then closes gracefully.
Started as ``python -m txnetserver._worker '<json list of twistd netserver
options>' PARENT_PID [lean]``; ``lean`` installs
:class:`txnetserver.reactor.NodeReactor`, as the parent runs.

A worker must not outlive its parent, whatever killed the parent (``kill -9``
included): it would keep serving a port nobody supervises, and a restarted
parent could not bind it.  Two watches: on Linux the kernel sends SIGTERM
when the parent dies (``prctl(PR_SET_PDEATHSIG)``); everywhere, fd 0 is a
pipe from the parent that reaches end of file when the parent's process ends.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

# prctl(2) option: the signal the kernel sends this process when its parent dies.
PR_SET_PDEATHSIG = 1


def signalOnParentDeath(parentPid: int, signum: int) -> bool:
    """
    Ask Linux to send ``signum`` when the parent process ends; ``False``
    where the kernel offers no such thing.  Exits at once if the parent died
    before the request could be made.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parentPid:
        # The parent was gone before the request: nobody will signal.
        os._exit(1)
    return True


def watchParentPipe(onParentGone: Callable[[], None], fd: int = 0) -> None:
    """
    Call ``onParentGone`` (from a thread) once ``fd``, a pipe only the parent
    writes to, reaches end of file: the parent's process has ended.
    """

    def wait() -> None:
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        onParentGone()

    threading.Thread(target=wait, name="txnetserver parent watch", daemon=True).start()


def main(argv: list[str]) -> None:
    tapArguments, parentPid, *flags = argv
    signalOnParentDeath(int(parentPid), signal.SIGTERM)
    if flags == ["lean"]:
        import txnetserver.reactor

        txnetserver.reactor.install()
    from twisted.internet import reactor as _globalReactor
    from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

    from txnetserver._tap import Options, makeService
    from txnetserver._workers import WORKER_LISTEN_FD

    reactor: Any = _globalReactor
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)], redirectStandardIO=False)
    options = Options()  # type: ignore[no-untyped-call]
    options.parseOptions(json.loads(tapArguments))
    service: Any = makeService(options, listen={"fd": WORKER_LISTEN_FD})
    # A failed listen is logged in one line (Node's message) and ends the
    # worker with status 1 (SystemExit); the parent restarts it.
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)

    # A worker gets SIGTERM from its parent, and often the same signal from
    # whoever signalled the parent's whole process group (Ctrl-C in a
    # terminal, systemd, timeout(1)), or from the kernel as the parent dies:
    # stop once, ignore the repeats (Twisted's own handler would log
    # ReactorNotRunning for each).
    log = Logger(namespace="txnetserver")
    stopping: list[str] = []

    def stopOnce(why: str) -> None:
        if not stopping:
            stopping.append(why)
            log.info("worker {why}, stopping", why=why)
            reactor.stop()

    def onSignal(signum: int, frame: object) -> None:
        reactor.callFromThread(stopOnce, f"received signal {signum}")

    signal.signal(signal.SIGTERM, onSignal)
    signal.signal(signal.SIGINT, onSignal)
    watchParentPipe(lambda: reactor.callFromThread(stopOnce, "lost its parent"))
    reactor.run(installSignalHandlers=False)


if __name__ == "__main__":
    main(sys.argv[1:])
