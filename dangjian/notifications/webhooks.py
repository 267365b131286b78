"""Group robots (群机器人) of 企业微信 and 钉钉: a JSON POST of a text message to the robot's URL.

Both answer `{"errcode": 0, "errmsg": "ok"}`; anything else is a failure, and the delivery job is
retried. A 钉钉 robot with 加签 gets `timestamp` and `sign` (HMAC-SHA256 of "timestamp\\nsecret",
Base64) added to its URL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
from urllib.error import URLError
from urllib.parse import quote_plus, urlsplit

from .models import WebhookProvider

TIMEOUT = 10  # seconds


class WebhookError(Exception):
    pass


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a robot's address, or None."""
    if not url:
        return "请填写群机器人的 Webhook 地址"
    if len(url) > 500:
        return "Webhook 地址不能超过500个字符"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Webhook 地址须以 https:// 或 http:// 开头"
    if any(c.isspace() for c in url):
        return "Webhook 地址中不能有空格"
    return None


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """钉钉 加签: the URL with timestamp and sign."""
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def payload(text: str) -> dict:
    """The text message both robots take."""
    return {"msgtype": "text", "text": {"content": text}}


def post(provider: WebhookProvider, url: str, secret: str, text: str) -> None:
    """POST `text` to the robot; raise WebhookError (in Chinese) when it does not take it."""
    if provider is WebhookProvider.DINGTALK and secret:
        url = signed_url(url, secret)
    body = json.dumps(payload(text), ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            answer = resp.read(65536)
    except (URLError, OSError) as exc:
        raise WebhookError(f"无法连接群机器人：{exc}") from exc
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        data = {}
    code = data.get("errcode", 0) if isinstance(data, dict) else 0
    if code not in (0, "0"):
        raise WebhookError(f"群机器人拒绝了消息（errcode {code}：{data.get('errmsg', '')}）")
