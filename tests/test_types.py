"""
Tests for txnetserver.types, the one public place to import the types
txnetserver's signatures mention: each exported class and type variable says
it lives there, and zope interfaces keep the module that defines them.
"""

from __future__ import annotations

from typing import TypeVar

from zope.interface.interface import InterfaceClass

from txnetserver import types


def test_exported_classes_and_type_variables_are_named_as_living_in_types() -> None:
    named = [name for name in types.__all__ if isinstance(getattr(types, name), type | TypeVar)]
    assert "DropInfo" in named and "Destination" in named
    assert {name: getattr(types, name).__module__ for name in named} == dict.fromkeys(
        named, "txnetserver.types"
    )


def test_interfaces_keep_the_module_that_defines_them() -> None:
    from txnetserver._socketowner import ISocketOwner

    assert types.ISocketOwner is ISocketOwner
    assert isinstance(ISocketOwner, InterfaceClass)
    assert ISocketOwner.__module__ == "txnetserver._socketowner"


def test_every_exported_name_is_importable() -> None:
    assert sorted(types.__all__) == sorted(set(types.__all__))
    for name in types.__all__:
        assert getattr(types, name) is not None
