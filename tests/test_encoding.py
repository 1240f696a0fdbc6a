"""Tests for txnetserver._encoding: Node's encodings for write() and setEncoding()."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txnetserver import errors
from txnetserver._encoding import (
    ERR_UNKNOWN_ENCODING,
    decoderFor,
    encodeChunk,
    normalizeEncoding,
)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("utf8", "utf8"),
        ("UTF-8", "utf8"),
        ("binary", "latin1"),
        ("latin1", "latin1"),
        ("ucs2", "utf16le"),
        ("utf-16le", "utf16le"),
        ("hex", "hex"),
        ("base64url", "base64url"),
    ],
)
def test_encoding_names_normalise_like_node(name: str, canonical: str) -> None:
    assert normalizeEncoding(name) == canonical


def test_unknown_encoding_is_a_type_error_with_nodes_code() -> None:
    with pytest.raises(ERR_UNKNOWN_ENCODING) as raised:
        normalizeEncoding("klingon")
    assert isinstance(raised.value, TypeError)
    assert raised.value.code == "ERR_UNKNOWN_ENCODING"
    assert str(raised.value) == "Unknown encoding: klingon"


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        ("héllo", None, "héllo".encode()),
        ("héllo", "latin1", "héllo".encode("latin-1")),
        ("6869", "hex", b"hi"),
        ("aGk=", "base64", b"hi"),
        ("aGk", "base64url", b"hi"),
        ("hi", "ucs2", b"h\x00i\x00"),
        (b"raw", None, b"raw"),
        (bytearray(b"ba"), None, b"ba"),
        (memoryview(b"mv"), None, b"mv"),
    ],
)
def test_write_chunks_encode_like_node(data: object, encoding: str | None, expected: bytes) -> None:
    assert encodeChunk(data, encoding) == expected


@pytest.mark.parametrize("bad", [123, None, 1.5, ["a"], {"a": 1}])
def test_non_chunks_raise_invalid_arg_type(bad: object) -> None:
    with pytest.raises(errors.ERR_INVALID_ARG_TYPE, match='The "chunk" argument must be'):
        encodeChunk(bad)


@given(st.text(), st.integers(min_value=1, max_value=7))
def test_utf8_decoder_never_splits_a_character(text: str, size: int) -> None:
    data = text.encode()
    decoder = decoderFor("utf8")
    pieces = [decoder.decode(data[i : i + size]) for i in range(0, len(data), size)]
    assert "".join(pieces) == text


@given(st.binary(), st.integers(min_value=1, max_value=7))
def test_base64_decoder_chunks_join_to_the_whole_encoding(data: bytes, size: int) -> None:
    import base64

    decoder = decoderFor("base64")
    pieces = [decoder.decode(data[i : i + size]) for i in range(0, len(data), size)]
    # Node holds back a partial 3-byte group until more bytes arrive.
    whole = len(data) - len(data) % 3
    assert "".join(pieces) == base64.b64encode(data[:whole]).decode()


def test_hex_and_ascii_decoders() -> None:
    assert decoderFor("hex").decode(b"\x01\xff") == "01ff"
    assert decoderFor("ascii").decode(b"h\xe9") == "hi"
