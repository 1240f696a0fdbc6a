"""Tests for txnetserver._errors: codes, classes and Node's messages."""

from __future__ import annotations

import pytest

from txnetserver import errors
from txnetserver._errors import determineSpecificType


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (-1, "type int (-1)"),
        (1.5, "type float (1.5)"),
        (float("nan"), "type float (nan)"),
        ("1.5", "type str ('1.5')"),
        ("", "type str ('')"),
        (True, "type bool (True)"),
        (None, "None"),
        ("x" * 40, "type str ('xxxxxxxxxxxxxxxxxxxxxxxx...)"),
        ({"a": 1}, "an instance of dict"),
        (object(), "an instance of object"),
        (len, "function len"),
        (int, "class int"),
    ],
)
def test_determine_specific_type_renders_like_node(value: object, rendered: str) -> None:
    assert determineSpecificType(value) == rendered


def test_invalid_arg_type_is_a_type_error_with_nodes_message() -> None:
    err = errors.ERR_INVALID_ARG_TYPE("listener", "function", "notfn")
    assert isinstance(err, TypeError)
    assert isinstance(err, errors.NodeError)
    assert err.code == "ERR_INVALID_ARG_TYPE"
    assert str(err) == (
        "The \"listener\" argument must be of type function. Received type str ('notfn')"
    )
    assert err.message == str(err)
    assert repr(err).startswith("TypeError [ERR_INVALID_ARG_TYPE]: ")


def test_invalid_arg_type_names_properties_and_instances() -> None:
    err = errors.ERR_INVALID_ARG_TYPE("options.signal", "AbortSignal", "x")
    assert str(err) == (
        'The "options.signal" property must be an instance of AbortSignal. '
        "Received type str ('x')"
    )
    chunk = errors.ERR_INVALID_ARG_TYPE(
        "chunk", ["string", "Buffer", "TypedArray", "DataView"], 123
    )
    assert str(chunk) == (
        'The "chunk" argument must be of type string or an instance of Buffer, '
        "TypedArray, or DataView. Received type int (123)"
    )


def test_invalid_arg_value_uses_the_python_repr() -> None:
    err = errors.ERR_INVALID_ARG_VALUE("options", {"port": True})
    assert isinstance(err, TypeError)
    assert str(err) == "The argument 'options' is invalid. Received {'port': True}"
    missing = errors.ERR_INVALID_ARG_VALUE("options", {}, 'must have the property "port" or "path"')
    assert str(missing) == (
        'The argument \'options\' must have the property "port" or "path". Received {}'
    )


def test_bad_port_is_a_value_error() -> None:
    err = errors.ERR_SOCKET_BAD_PORT("options.port", -1)
    assert isinstance(err, ValueError)
    assert err.code == "ERR_SOCKET_BAD_PORT"
    assert str(err) == "options.port should be >= 0 and < 65536. Received type int (-1)."


def test_out_of_range_adds_separators_to_big_integers() -> None:
    err = errors.ERR_OUT_OF_RANGE("setMaxListeners", ">= 0", -1)
    assert isinstance(err, ValueError)
    assert str(err) == (
        'The value of "setMaxListeners" is out of range. It must be >= 0. Received -1'
    )
    big = errors.ERR_OUT_OF_RANGE("x", ">= 0", -(2**33))
    assert str(big).endswith("Received -8_589_934_592")


@pytest.mark.parametrize(
    ("cls", "code", "message"),
    [
        (
            errors.ERR_SERVER_ALREADY_LISTEN,
            "ERR_SERVER_ALREADY_LISTEN",
            "Listen method has been called more than once without closing.",
        ),
        (errors.ERR_SERVER_NOT_RUNNING, "ERR_SERVER_NOT_RUNNING", "Server is not running."),
        (errors.ERR_STREAM_WRITE_AFTER_END, "ERR_STREAM_WRITE_AFTER_END", "write after end"),
    ],
)
def test_plain_errors_are_runtime_errors(
    cls: type[errors.NodeError], code: str, message: str
) -> None:
    err = cls()
    assert isinstance(err, RuntimeError)
    assert err.code == code
    assert str(err) == message


def test_unhandled_error_keeps_its_context() -> None:
    err = errors.ERR_UNHANDLED_ERROR("str")
    assert str(err) == "Unhandled error. ('str')"
    assert err.context == "str"
    assert str(errors.ERR_UNHANDLED_ERROR(None)) == "Unhandled error. (None)"


def everyExceptionClassInTheLibrary() -> set[type[BaseException]]:
    """Each exception or warning class defined in a txnetserver module."""
    import importlib
    import pkgutil

    import txnetserver

    found: set[type[BaseException]] = set()
    for module in pkgutil.iter_modules(txnetserver.__path__, "txnetserver."):
        if module.name == "txnetserver._pytest_plugin":
            continue  # pytest's own plugin hooks; it defines no error
        for value in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__.startswith("txnetserver")
            ):
                found.add(value)
    return found


# Raised only by a bug in txnetserver (an assertion about its own state), never
# for anything a user did or the network did: not API, so not in errors.
INTERNAL_INVARIANT_ERRORS = {"txnetserver._lifecycle.LifecycleError"}


def test_every_exception_class_is_public_in_txnetserver_errors() -> None:
    classes = {
        cls
        for cls in everyExceptionClassInTheLibrary()
        if f"{cls.__module__}.{cls.__name__}" not in INTERNAL_INVARIANT_ERRORS
    }
    assert errors.ERR_INVALID_ADDRESS in classes  # the walk sees the private modules
    for cls in classes:
        assert getattr(errors, cls.__name__) is cls, cls
        assert cls.__name__ in errors.__all__
        assert cls.__module__ == "txnetserver.errors"
        assert repr(cls) == f"<class 'txnetserver.errors.{cls.__name__}'>"


def test_a_traceback_names_the_public_class() -> None:
    import traceback

    from txnetserver import BlockList

    with pytest.raises(errors.ERR_INVALID_ADDRESS) as caught:
        BlockList().addAddress("999.1.1.1")
    lastLine = traceback.format_exception(caught.value)[-1]
    assert lastLine == "txnetserver.errors.ERR_INVALID_ADDRESS: Invalid socket address\n"


def test_star_import_shadows_builtins_only_with_subclasses() -> None:
    import builtins

    namespace: dict[str, object] = {}
    exec("from txnetserver.errors import *", namespace)
    shadowed = {name for name in namespace if hasattr(builtins, name) and name != "__builtins__"}
    assert shadowed == {"TimeoutError"}
    for name in shadowed:
        value = namespace[name]
        assert isinstance(value, type) and issubclass(value, getattr(builtins, name))


def test_the_timeout_reason_is_caught_as_a_builtin_timeout_error() -> None:
    with pytest.raises(TimeoutError) as caught:
        raise errors.TimeoutError()
    assert str(caught.value) == "The operation was aborted due to timeout"
    assert isinstance(caught.value, errors.NodeError)
