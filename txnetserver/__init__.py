"""
txnetserver: Node.js's ``net.Server`` API, done right, in Python on Twisted.

Importing this package never installs a reactor: the global reactor is looked
up lazily, the first time an object without an explicit ``reactor=`` needs it.
"""

from txnetserver import errors
from txnetserver._address import AddressInfo

__all__ = [
    "AddressInfo",
    "errors",
]
