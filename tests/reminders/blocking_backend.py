"""An SMS backend for the worker-kill test: it hands the message over, then hangs until the worker is killed."""

from __future__ import annotations

import time

from reminders.transports import DevelopmentSmsBackend, SentMessage


class HangingAfterSendBackend(DevelopmentSmsBackend):
    def send(self, **kwargs) -> SentMessage:
        sent = super().send(**kwargs)  # the "provider" has the message now
        time.sleep(120)  # ... and the worker dies before it can record that
        return sent
