"""E-mail through the school's SMTP server (SMTP_* settings). Only the notification jobs call it:
a web request never talks to the mail server."""
from __future__ import annotations

import smtplib
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

# One address refused (mistyped, left the school): skip it, do not retry the whole event for it.
PERMANENT = (smtplib.SMTPRecipientsRefused,)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


@contextmanager
def smtp_connection():
    """One connection for a whole batch: plain, STARTTLS (SMTP_STARTTLS=1) or TLS (SMTP_SSL=1),
    logged in when SMTP_USER is set. Raises OSError or SMTPException when the server is down."""
    cfg = current_app.config
    if cfg.get("SMTP_SSL"):
        conn = smtplib.SMTP_SSL(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"],
                                context=ssl.create_default_context())
    else:
        conn = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"])
    try:
        if cfg.get("SMTP_STARTTLS") and not cfg.get("SMTP_SSL"):
            conn.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USER"):
            conn.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD", ""))
        yield conn
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["SMTP_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="dangjian")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(body)
    return msg
