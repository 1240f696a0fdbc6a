"""
One worker of ``twistd netserver --workers N`` (see :mod:`txnetserver._workers`):
runs the netserver service on the listening socket inherited as fd 3 until
SIGTERM, then closes gracefully.  Started as
``python -m txnetserver._worker '<json list of twistd netserver options>'``.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver

    from txnetserver._tap import Options, makeService

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)], redirectStandardIO=False)
    options = Options()  # type: ignore[no-untyped-call]
    options.parseOptions(json.loads(argv[0]))  # type: ignore[no-untyped-call]
    service: object = makeService(options)
    service.listenArgs = ({"fd": 3},)  # type: ignore[attr-defined]
    service.listenOptions = {}  # type: ignore[attr-defined]
    service.startService()  # type: ignore[attr-defined]
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)  # type: ignore[attr-defined]
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
