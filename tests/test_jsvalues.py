"""
Tests for txnetserver._jsvalues: JavaScript value semantics (``Number()``) as Node has them.
"""

from __future__ import annotations

import math

import pytest

from txnetserver._jsvalues import jsNumber

# -- jsNumber / isPipeName ------------------------------------------------------

# Generated with Node v20.20.2:
#   node -e 'for (const s of [...]) { const n = Number(s);
#            console.log(JSON.stringify([s, Object.is(n, -0) ? "-0" : String(n)])) }'
JS_NUMBER_TABLE: list[tuple[str, str]] = [
    ("", "0"),
    (" ", "0"),
    ("\t\n", "0"),
    ("0", "0"),
    ("-0", "-0"),
    ("+0", "0"),
    ("8000", "8000"),
    (" 8000 ", "8000"),
    ("\n81\t", "81"),
    ("+82", "82"),
    ("-1", "-1"),
    ("83.0", "83"),
    ("1.5", "1.5"),
    (".5", "0.5"),
    ("5.", "5"),
    (".", "NaN"),
    ("+.", "NaN"),
    ("-.5e1", "-5"),
    (".5e1", "5"),
    ("5.e3", "5000"),
    ("1e3", "1000"),
    ("1E3", "1000"),
    ("1e+3", "1000"),
    ("1e-3", "0.001"),
    ("1e", "NaN"),
    ("e3", "NaN"),
    ("1e3.5", "NaN"),
    ("1e400", "Infinity"),
    ("-1e400", "-Infinity"),
    ("1e-400", "0"),
    ("00086", "86"),
    ("0x1F90", "8080"),
    ("0X1f", "31"),
    ("0x", "NaN"),
    ("0xg", "NaN"),
    ("0x1F90 ", "8080"),
    (" 0x10 ", "16"),
    ("-0x10", "NaN"),
    ("+0x10", "NaN"),
    ("0b101", "5"),
    ("0B11", "3"),
    ("0b2", "NaN"),
    ("0o17", "15"),
    ("0O7", "7"),
    ("0o8", "NaN"),
    ("017", "17"),
    ("08", "8"),
    ("0.0", "0"),
    ("1_000", "NaN"),
    ("12px", "NaN"),
    ("px12", "NaN"),
    ("Infinity", "Infinity"),
    ("+Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("infinity", "NaN"),
    ("inf", "NaN"),
    ("nan", "NaN"),
    ("NaN", "NaN"),
    ("INFINITY", "NaN"),
    ("1 2", "NaN"),
    ("1\xa0", "1"),
    ("\xa084", "84"),
    ("\ufeff85", "85"),
    ("\u200b86", "NaN"),
    ("\u3000 87", "87"),
    ("\u2028 88", "88"),
    ("\x85 89", "NaN"),
    ("\x1c90", "NaN"),
    ("\u180e91", "NaN"),
    ("\u202f92", "92"),
    ("65535", "65535"),
    ("65536", "65536"),
    ("4294967296", "4294967296"),
    ("9007199254740993", "9007199254740992"),
    ("0x" + "f" * 300, "Infinity"),
    ("0x1" + "0" * 255, "1.1235582092889474e+307"),
    ("1" + "0" * 400, "Infinity"),
    ("\u0661\u0662", "NaN"),  # Arabic-Indic digits
    ("\uff11\uff12", "NaN"),  # fullwidth digits
    ("0x1p3", "NaN"),
    ("1d", "NaN"),
    ("1f", "NaN"),
    ("--1", "NaN"),
    ("+-1", "NaN"),
    ("1e1_0", "NaN"),
    (" -0 ", "-0"),
    ("0.1e-0", "0.1"),
    ("12e00", "12"),
]


def _fromNode(text: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(text) or float(text)


@pytest.mark.parametrize(("text", "node"), JS_NUMBER_TABLE)
def test_jsNumber_matches_node_number(text: str, node: str) -> None:
    result = jsNumber(text)
    expected = _fromNode(node)
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == expected
        assert math.copysign(1, result) == math.copysign(1, expected)  # -0 stays -0
