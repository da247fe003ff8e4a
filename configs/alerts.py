"""Alerts a person sees: a night's result, candidates awaiting review, a halt, a failed
reconciliation, a crash, low disk or memory, stale data, a stored row that cannot be read, a
strategy whose edge seems to have gone (decay).

They go through apprise to every URL in the environment variable LAB_ALERT_URLS (one or more,
separated by spaces or commas: `mailto://...`, `tgram://...`, `ntfy://...`, `slack://...`,
`json://host/path`... see apprise's documentation). The URLs hold tokens, so they come only
from the environment and are never logged. Without the variable nothing is sent. Sending never
raises: a notification that fails is logged as a warning and the command goes on (trading
included).

Only commands send alerts. Library code returns what happened (a result, an exception) and the
command alerts on it; a row quarantined deep inside a read is logged with `extra={ALERT: (event,
title)}`, and the command's `AlertHandler` (installed for every command) sends that record.
"""

from __future__ import annotations

import logging
import os

from typing_extensions import override

__all__ = ["ALERT", "ALERT_URLS", "EVENTS", "AlertHandler", "alert", "install_alert_handler"]

ALERT_URLS = "LAB_ALERT_URLS"
# Each event and how apprise marks it.
EVENTS = {
    "night_finished": "info",
    "review_waiting": "info",
    "incubation_ready": "info",
    "halted": "warning",
    "resumed": "warning",
    "login_failed": "warning",
    "reconciliation_failed": "failure",
    "crash": "failure",
    "disk_low": "warning",
    "memory_low": "warning",
    "stale_data": "warning",
    "quarantined": "warning",
    "decay": "warning",
}

# The `extra` key of a log record that asks the running command for an alert: (event, title).
ALERT = "alert"

log = logging.getLogger(__name__)


def alert(event: str, title: str, body: str) -> bool:
    """Send `title` and `body` for `event` (a key of EVENTS) to every LAB_ALERT_URLS address.
    True when every address took it; False when one failed or none is set (never raises)."""
    if event not in EVENTS:
        raise ValueError(f"unknown alert event {event!r}")
    urls = os.environ.get(ALERT_URLS, "").strip()
    if not urls:
        return False
    try:
        import apprise

        logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its messages may quote URLs
        sender = apprise.Apprise()
        if not sender.add(urls):
            log.warning("alert %s not sent: %s holds no URL apprise knows", event, ALERT_URLS)
            return False
        sent = bool(sender.notify(title=f"gplab: {title}", body=body, notify_type=EVENTS[event]))
    except Exception as e:  # a notification must never stop the lab
        log.warning("alert %s not sent: %s", event, type(e).__name__)
        return False
    if not sent:
        log.warning("alert %s not sent: an address did not take it", event)
    return sent


class AlertHandler(logging.Handler):
    """Sends an alert for every log record that asks for one (`extra={ALERT: (event, title)}`),
    with the record's message as the body."""

    @override
    def emit(self, record: logging.LogRecord) -> None:
        asked = getattr(record, ALERT, None)
        if asked is not None:
            event, title = asked
            alert(event, title, record.getMessage())


def install_alert_handler() -> None:
    """Let the log records of this process that ask for an alert send it (once per process)."""
    root = logging.getLogger()
    if not any(isinstance(h, AlertHandler) for h in root.handlers):
        root.addHandler(AlertHandler())
