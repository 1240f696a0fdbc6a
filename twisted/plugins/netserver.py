"""The ``twistd netserver`` plugin: everything lives in ``txnetserver._tap``."""

from twisted.application.service import ServiceMaker

netserver = ServiceMaker(
    "txnetserver", "txnetserver._tap", "A Node.js-style net.Server (echo by default)", "netserver"
)
