"""The statuses of what the lab moves through a lifecycle: candidates, orders, nightly runs and
live plans. Stored as their values, read back as members (`store.checked.Status`); the moves
between them are `store.lifecycle`'s."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CandidateStatus", "OrderStatus", "PlanStatus", "RunStatus"]


class CandidateStatus(StrEnum):
    """Where a candidate stands (stored as its value)."""

    CANDIDATE = "candidate"
    GATE_PASSED = "gate_passed"
    GATE_FAILED = "gate_failed"
    INCUBATING = "incubating"  # approved, trading on paper until a person confirms it
    APPROVED = "approved"
    REJECTED = "rejected"
    LIVE = "live"
    RETIRED = "retired"


class OrderStatus(StrEnum):
    """An order's status: the lab's own before the broker has it, then Alpaca's."""

    PLANNED = "planned"  # written, not sent
    DENIED = "denied"  # refused by the risk check, never sent
    SUBMITTING = "submitting"  # being sent: the broker may or may not have it
    UNKNOWN = "unknown"  # no usable answer: looked up by client id next cycle
    NEW = "new"
    ACCEPTED = "accepted"
    PENDING_NEW = "pending_new"
    PARTIALLY_FILLED = "partially_filled"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    PENDING_REVIEW = "pending_review"
    HELD = "held"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    CALCULATED = "calculated"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DONE_FOR_DAY = "done_for_day"
    REPLACED = "replaced"


class RunStatus(StrEnum):
    """How a nightly run went."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died; the next run resumes it


class PlanStatus(StrEnum):
    """Where a session's plan of orders stands."""

    PLANNED = "planned"  # orders written, not all sent
    SENT = "sent"
    CLOSED = "closed"  # every order final
