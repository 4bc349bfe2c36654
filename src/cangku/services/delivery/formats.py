"""What a delivery sends, per channel kind, each in its receiver's documented format.

- ``email``: a plain-text message (``[cangku] <title>``, one ``key: value`` line per field).
- ``webhook``: JSON ``{"delivery", "topic", "outbox_id", "timestamp", "payload"}`` with
  ``X-Cangku-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>``,
  ``X-Cangku-Timestamp`` (Unix seconds, also inside the signed body, so a receiver can refuse
  stale replays) and ``X-Cangku-Delivery`` (the delivery id: a receiver drops repeats by it).
- ``wecom`` (企业微信 group robot): ``{"msgtype": "text", "text": {"content"}}`` or, with
  ``config.msgtype = "markdown"``, ``{"msgtype": "markdown", "markdown": {"content"}}``; the
  robot's key is in its URL, there is no signature.
- ``dingtalk`` (钉钉 custom robot): ``{"msgtype": "text", "text": {"content"}}`` or markdown
  (``{"title", "text"}``); with a secret the URL gains ``timestamp`` (milliseconds) and
  ``sign`` = url-encoded base64(HMAC-SHA256(key=secret, message=f"{timestamp}\\n{secret}")).
- ``feishu`` (飞书 custom bot): ``{"msg_type": "text", "content": {"text"}}``; with a secret
  the body gains ``timestamp`` (seconds) and ``sign`` = base64(HMAC-SHA256(key=
  f"{timestamp}\\n{secret}", message=b"")): Feishu keys the HMAC with the string to sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

from cangku.db.deliveries import Channel, Delivery

__all__ = [
    "HttpRequest",
    "dingtalk_sign",
    "email_message",
    "feishu_sign",
    "http_request",
    "message_lines",
    "message_title",
    "webhook_signature",
]

#: payload fields that make the title rather than a line
_TITLE_FIELDS = ("title", "number")


@dataclass(frozen=True)
class HttpRequest:
    """A POST to send: the URL, the exact body bytes and the headers."""

    url: str
    body: bytes
    headers: dict[str, str]


def message_title(delivery: Delivery) -> str:
    """``title`` from the payload, else the topic and the document number when there is one."""
    payload = delivery.payload
    if payload.get("title"):
        return str(payload["title"])
    number = payload.get("number")
    return f"{delivery.topic} {number}" if number else delivery.topic


def message_lines(delivery: Delivery) -> list[str]:
    """One ``key: value`` line per payload field (sorted by key); the title's fields and empty
    (null) fields left out."""
    payload = delivery.payload
    keys = [k for k in sorted(payload) if k not in _TITLE_FIELDS and payload[k] is not None]
    return [f"{key}: {payload[key]}" for key in keys]


def email_message(delivery: Delivery, channel: Channel, sender: str) -> EmailMessage:
    """The e-mail of a delivery: to the channel's target (addresses separated by commas)."""
    message = EmailMessage()
    message["Subject"] = f"[cangku] {message_title(delivery)}"
    message["From"] = sender
    message["To"] = channel.target
    message["X-Cangku-Delivery"] = str(delivery.id)
    message.set_content("\n".join(message_lines(delivery)) + "\n")
    return message


def webhook_signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the body keyed with the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` query value (already url-encoded)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign`` body value."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()


def _text(delivery: Delivery) -> str:
    return "\n".join([message_title(delivery), *message_lines(delivery)])


def _robot_body(delivery: Delivery, channel: Channel) -> dict[str, Any]:
    """WeCom's and DingTalk's body: text unless the channel asks for markdown."""
    if channel.config.get("msgtype") != "markdown":
        return {"msgtype": "text", "text": {"content": _text(delivery)}}
    title, lines = message_title(delivery), message_lines(delivery)
    if channel.kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": "\n".join([f"**{title}**", *lines])}}
    # DingTalk's markdown needs a blank line between paragraphs; its title shows in the list
    text = "\n\n".join([f"#### {title}", *lines])
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def http_request(delivery: Delivery, channel: Channel, now: datetime) -> HttpRequest:
    """The request a webhook or robot channel sends for a delivery at ``now`` (its timestamps
    and signatures are of that instant). Raises ValueError for an e-mail channel."""
    json_type = {"Content-Type": "application/json; charset=utf-8"}
    seconds = int(now.timestamp())
    if channel.kind == "webhook":
        body = _json(
            {
                "delivery": delivery.id,
                "topic": delivery.topic,
                "outbox_id": delivery.outbox_id,
                "timestamp": seconds,
                "payload": delivery.payload,
            }
        )
        headers = {**json_type, "X-Cangku-Timestamp": str(seconds)}
        headers["X-Cangku-Delivery"] = str(delivery.id)
        if channel.secret:
            headers["X-Cangku-Signature"] = webhook_signature(channel.secret, body)
        return HttpRequest(channel.target, body, headers)
    if channel.kind == "wecom":
        return HttpRequest(channel.target, _json(_robot_body(delivery, channel)), json_type)
    if channel.kind == "dingtalk":
        url = channel.target
        if channel.secret:
            millis = seconds * 1000
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}timestamp={millis}&sign={dingtalk_sign(channel.secret, millis)}"
        return HttpRequest(url, _json(_robot_body(delivery, channel)), json_type)
    if channel.kind == "feishu":
        feishu: dict[str, Any] = {"msg_type": "text", "content": {"text": _text(delivery)}}
        if channel.secret:
            feishu["timestamp"] = str(seconds)
            feishu["sign"] = feishu_sign(channel.secret, seconds)
        return HttpRequest(channel.target, _json(feishu), json_type)
    raise ValueError(f"a {channel.kind} channel is not sent over HTTP")
