"""
Node's string encodings for ``write(str, encoding)`` and ``setEncoding``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
from typing import Any

from txnetserver._errors import ERR_INVALID_ARG_TYPE, NodeError

__all__ = ["decoderFor", "encodeChunk", "normalizeEncoding"]


class ERR_UNKNOWN_ENCODING(NodeError, TypeError):
    """An encoding name Node does not know."""

    code = "ERR_UNKNOWN_ENCODING"
    name = "TypeError"

    def __init__(self, encoding: object) -> None:
        super().__init__(f"Unknown encoding: {encoding}")


_ALIASES = {
    "utf8": "utf8",
    "utf-8": "utf8",
    "latin1": "latin1",
    "binary": "latin1",
    "ascii": "ascii",
    "hex": "hex",
    "base64": "base64",
    "base64url": "base64url",
    "ucs2": "utf16le",
    "ucs-2": "utf16le",
    "utf16le": "utf16le",
    "utf-16le": "utf16le",
}

_CODECS = {"utf8": "utf-8", "latin1": "latin-1", "utf16le": "utf-16-le"}


def normalizeEncoding(encoding: object) -> str:
    """Node's canonical name for an encoding (case-insensitive), or ERR_UNKNOWN_ENCODING."""
    if isinstance(encoding, str):
        name = _ALIASES.get(encoding.lower())
        if name is not None:
            return name
    raise ERR_UNKNOWN_ENCODING(encoding)


def encodeChunk(data: object, encoding: object = None) -> bytes:
    """A ``write()`` chunk as bytes; Node's ERR_INVALID_ARG_TYPE for anything else."""
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        name = "utf8" if encoding is None else normalizeEncoding(encoding)
        if name == "hex":
            # Node decodes hex pairs up to the first invalid one.
            try:
                return bytes.fromhex(data)
            except ValueError:
                return b""
        if name in ("base64", "base64url"):
            text = data.replace("-", "+").replace("_", "/")
            text += "=" * (-len(text) % 4)
            try:
                return base64.b64decode(text)
            except (binascii.Error, ValueError):
                return b""
        if name == "ascii":
            return data.encode("latin-1", "replace")
        return data.encode(_CODECS[name], "surrogatepass" if name == "utf16le" else "replace")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise ERR_INVALID_ARG_TYPE("chunk", ["string", "Buffer", "TypedArray", "DataView"], data)


class _BinaryToTextDecoder:
    """Incremental hex/base64 decoding that never splits a group."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._pending = b""

    def decode(self, data: bytes) -> str:
        if self._name == "hex":
            return data.hex()
        data = self._pending + data
        cut = len(data) - len(data) % 3
        self._pending = data[cut:]
        text = base64.b64encode(data[:cut]).decode("ascii")
        if self._name == "base64url":
            text = text.replace("+", "-").replace("/", "_").rstrip("=")
        return text


def decoderFor(name: str) -> Any:
    """An incremental decoder: multi-byte characters are never split across chunks."""
    if name in ("hex", "base64", "base64url"):
        return _BinaryToTextDecoder(name)
    if name == "ascii":
        # Node's 'ascii' decoding drops the high bit of each byte.
        return _AsciiDecoder()
    return codecs.getincrementaldecoder(_CODECS[name])("replace")


class _AsciiDecoder:
    def decode(self, data: bytes) -> str:
        return bytes(b & 0x7F for b in data).decode("ascii")
