"""
One worker of ``twistd netserver --workers N`` (see :mod:`txnetserver._workers`):
runs the netserver service on the listening socket inherited as fd 3 until
SIGTERM or SIGINT, then closes gracefully.  Started as
``python -m txnetserver._worker '<json list of twistd netserver options>' [lean]``;
``lean`` installs :class:`txnetserver.reactor.NodeReactor`, as the parent runs.
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any


def main(argv: list[str]) -> None:
    if argv[1:] == ["lean"]:
        import txnetserver.reactor

        txnetserver.reactor.install()
    from twisted.internet import reactor as _globalReactor
    from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

    from txnetserver._tap import Options, makeService

    reactor: Any = _globalReactor
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)], redirectStandardIO=False)
    options = Options()  # type: ignore[no-untyped-call]
    options.parseOptions(json.loads(argv[0]))
    service: Any = makeService(options)
    service.listenArgs = ({"fd": 3},)
    service.listenOptions = {}
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)

    # A worker gets SIGTERM from its parent, and often the same signal from
    # whoever signalled the parent's whole process group (Ctrl-C in a
    # terminal, systemd, timeout(1)): stop once, ignore the repeats (Twisted's
    # own handler would log ReactorNotRunning for each).
    log = Logger(namespace="txnetserver")
    stopping: list[int] = []

    def stopOnce(signum: int, frame: object) -> None:
        if not stopping:
            stopping.append(signum)
            log.info("worker received signal {signum}, stopping", signum=signum)
            reactor.callFromThread(reactor.stop)

    signal.signal(signal.SIGTERM, stopOnce)
    signal.signal(signal.SIGINT, stopOnce)
    reactor.run(installSignalHandlers=False)


if __name__ == "__main__":
    main(sys.argv[1:])
