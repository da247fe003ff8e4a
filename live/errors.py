"""Errors of live trading, named by how they are handled.

- `OrderRejected`: the broker refused an order for good (4xx); recorded on the order.
- `DuplicateOrder`: the broker already has an order with this client id: it exists, adopt it.
- `BrokerUnavailable`: no usable answer (timeout, reset connection, 5xx, rate limit). For an
  order the outcome is unknown: it is resolved by looking the client id up, never by sending
  it blindly again.
- `ReconciliationFailed`: the broker and research.db disagree in a way the lab cannot
  explain; trading stops until a human looks.
"""

from __future__ import annotations

from configs import InputError, ServiceError

__all__ = [
    "BrokerError",
    "BrokerUnavailable",
    "DuplicateOrder",
    "LiveInputError",
    "OrderRejected",
    "ReconciliationFailed",
]


class BrokerError(ServiceError):
    """The broker failed or refused a request (its HTTP status and error code when known)."""

    def __init__(self, message: str, status: int = 0, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class BrokerUnavailable(BrokerError):
    """The broker gave no usable answer; trying again later may work."""


class OrderRejected(BrokerError):
    """The broker refused an order (HTTP status and the broker's message)."""


class DuplicateOrder(OrderRejected):
    """An order with this client id exists already (it was sent before)."""


class ReconciliationFailed(ServiceError):
    """Broker and research.db disagree; nothing trades until it is explained."""


class LiveInputError(InputError):
    """A live command cannot do what it was asked (no approved strategy, stale data, ...)."""
