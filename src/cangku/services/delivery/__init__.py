"""Delivery beyond the app (issue 16, ADR 0029): e-mail, signed webhooks and the WeCom,
DingTalk and Feishu group robots, from the outbox the document framework writes.

``channels`` adds channels and their subscriptions, ``dispatch`` turns outbox rows into
deliveries (once per outbox row and channel) and sends the due ones, ``send`` makes one
attempt and logs it (retries with backoff, replay), ``formats`` builds each kind's message.
"""
