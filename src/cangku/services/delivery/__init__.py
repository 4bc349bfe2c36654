"""Delivery beyond the app (issue 16, ADR 0029): e-mail, signed webhooks and the WeCom,
DingTalk and Feishu group robots, from the outbox the document framework writes.

``channels`` adds and changes channels and their subscriptions, ``dispatch`` turns outbox
rows into deliveries (once per outbox row and channel) and sends the due ones, ``send`` makes
one attempt and logs it (retries with backoff, replay), ``manual`` sends a test message or a
replay someone asked for, ``formats`` builds each kind's message. Importing the package
declares its action (``channel.manage``: ``services.load_all`` imports packages only).
"""

from __future__ import annotations

from cangku.services.delivery import channels, manual

__all__ = ["channels", "manual"]
