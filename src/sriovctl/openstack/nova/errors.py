"""The errors nova raises for PCI configuration and requests, re-created by name.

Every class is named after the nova exception it stands for and carries:

* ``nova_exception`` — the nova class name (``"PciConfigInvalidSpec"`` …), so a
  caller can compare with what nova-compute would log;
* ``message`` — nova's exact text for the same input;
* ``fix`` — ours: what the operator should change.

Where nova itself does not handle a bad value and crashes with a plain Python
exception (a JSON number as ``vendor_id``, a non-string regex field, …),
:class:`NovaUnhandledError` says so: ``nova_exception`` is then the builtin
name (``"AttributeError"``, ``"TypeError"`` …) and ``message`` Python's text,
because that is what would stop nova-compute.

These are deliberately *not* ``ValueError`` subclasses: nova's address parser
catches ``ValueError`` to mean "bad address format", and our code mirrors
that, so an error of ours must never be mistaken for one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, TypeVar

from sriovctl.errors import InputError


class NovaPciError(InputError):
    """Base class: a nova exception with nova's class name and message."""

    nova_exception: ClassVar[str] = "NovaException"
    msg_fmt: ClassVar[str] = "An unknown exception occurred."
    default_fix: ClassVar[str | None] = None

    def __init__(self, message: Any = None, *, fix: str | None = None, **kwargs: Any):
        # Same rule as nova.exception.NovaException: an explicit message wins
        # (str() of whatever was passed), else msg_fmt % kwargs.
        if not message:
            try:
                text = self.msg_fmt % kwargs
            except Exception:  # nova logs and falls back to the bare format
                text = self.msg_fmt
        else:
            text = str(message)
        super().__init__(text, fix or self.default_fix)
        self.kwargs = kwargs
        #: where in the configuration the error was found, when known
        #: (set by :class:`~sriovctl.openstack.nova.whitelist.DeviceSpecList`)
        self.origin: Any = None

    def __str__(self) -> str:
        return self.message


class PciConfigInvalidSpec(NovaPciError):
    nova_exception = "PciConfigInvalidSpec"
    msg_fmt = "Invalid [pci]device_spec config: %(reason)s"
    default_fix = "correct this [pci]device_spec entry as the reason says"


class PciDeviceWrongAddressFormat(NovaPciError):
    nova_exception = "PciDeviceWrongAddressFormat"
    msg_fmt = "The PCI address %(address)s has an incorrect format."
    default_fix = (
        'write "address" as a glob "[[[domain:]bus:]slot][.func]" (e.g. "0000:81:00.*") '
        'or as a dict of regexes {"domain", "bus", "slot", "function"}'
    )


class PciDeviceInvalidDeviceName(NovaPciError):
    nova_exception = "PciDeviceInvalidDeviceName"
    msg_fmt = (
        "Invalid PCI Whitelist: The PCI whitelist can specify devname or address, but not both"
    )
    default_fix = 'keep either "devname" or "address" in this entry, not both'


class PciDeviceRemoteManagedNotPresent(NovaPciError):
    nova_exception = "PciDeviceRemoteManagedNotPresent"
    msg_fmt = (
        'Invalid PCI Whitelist: A device specified as "remote_managed"'
        " is not actually present on the host"
    )
    default_fix = 'the "devname" of this remote_managed entry names no netdev on this host'


class PciDeviceInvalidPFRemoteManaged(NovaPciError):
    nova_exception = "PciDeviceInvalidPFRemoteManaged"
    msg_fmt = (
        'Invalid PCI Whitelist: PFs must not have the "remote_managed"'
        "tag, device address: %(address)s"
    )
    default_fix = (
        "PFs cannot be remote_managed: use the VF product_id with the PF address, "
        'or drop "remote_managed"'
    )


class PciDeviceNotFoundById(NovaPciError):
    nova_exception = "PciDeviceNotFoundById"
    msg_fmt = "PCI device %(id)s not found"
    default_fix = "check that the PCI address exists on this host"


class PciDeviceNotFound(NovaPciError):
    nova_exception = "PciDeviceNotFound"
    msg_fmt = "PCI Device %(node_id)s:%(address)s not found."


class PciInvalidAlias(NovaPciError):
    nova_exception = "PciInvalidAlias"
    msg_fmt = "Invalid PCI alias definition: %(reason)s"
    default_fix = "correct the [pci]alias entry as the message says"


class PciRequestAliasNotDefined(NovaPciError):
    nova_exception = "PciRequestAliasNotDefined"
    msg_fmt = "PCI alias %(alias)s is not defined"
    default_fix = "define the alias in [pci]alias on the API and compute nodes, or fix the flavor"


class PciDeviceRequestFailed(NovaPciError):
    """The devices asked for are not in the pools: a finding, not bad input."""

    nova_exception = "PciDeviceRequestFailed"
    msg_fmt = "PCI device request %(requests)s failed"
    exit_code = 1


class PciDevicePoolEmpty(NovaPciError):
    nova_exception = "PciDevicePoolEmpty"
    msg_fmt = "Attempt to consume PCI device %(compute_node_id)s:%(address)s from empty pool"
    exit_code = 1


class NovaUnhandledError(NovaPciError):
    """nova would crash on this input with a plain Python exception.

    ``nova_exception`` is that exception's class name, ``message`` its text.
    """

    default_fix = "this value has the wrong JSON type for nova; nova-compute would fail to start"

    def __init__(self, exc: BaseException, *, fix: str | None = None):
        super().__init__(str(exc) or type(exc).__name__, fix=fix)
        self.nova_exception = type(exc).__name__  # type: ignore[misc]


@contextmanager
def nova_errors() -> Iterator[None]:
    """Let our errors through; turn any other exception into NovaUnhandledError.

    Used around code that mirrors nova step by step: a Python exception there
    is one nova would also die of, and must not reach the user as a traceback.
    """
    try:
        yield
    except NovaPciError:
        raise
    except Exception as exc:
        raise NovaUnhandledError(exc) from exc


_F = TypeVar("_F", bound=Callable[..., Any])


def nova_guarded(func: _F) -> _F:
    """Decorator form of :func:`nova_errors`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with nova_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
