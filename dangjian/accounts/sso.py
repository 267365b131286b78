"""Single sign-on through a trusted reverse proxy. Off unless AUTH_TRUSTED_HEADER is set.

A CAS or Shibboleth module in nginx or Apache signs the user in and passes the username in a header
(AUTH_TRUSTED_HEADER, e.g. X-Remote-User). The header is believed only from the addresses in
AUTH_TRUSTED_PROXIES (addresses or networks), compared with the direct peer of the connection, as
it was before ProxyFix: X-Forwarded-For, which a client can write, never makes an address trusted.
From anywhere else the header is ignored, and the attempt is audited (auth.sso_refused).

The proxy must set the header on every request and remove any copy the client sent
(nginx: `proxy_set_header X-Remote-User $remote_user;`).

When trusted: the local account with that username is signed in, once per session. A different
value in a later request (somebody else signed in at the proxy) ends the session and signs the new
user in. A 系统管理员 is never signed in this way (local password only, as with LDAP), and a
session opened with a password is left alone. No account is ever created from the header.
"""
import ipaddress

from flask import current_app, flash, request, session
from flask_login import current_user

from .. import audit
from ..extensions import db
from . import sessions
from .authentication import MAX_USERNAME, find_user, is_administrator


def enabled() -> bool:
    return bool(current_app.config.get("AUTH_TRUSTED_HEADER"))


def direct_peer() -> str:
    """The address that opened the connection to us (before ProxyFix rewrote remote_addr)."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""


def _trusted_networks() -> list:
    entries = current_app.config.get("AUTH_TRUSTED_PROXIES") or []
    if isinstance(entries, str):
        entries = entries.split(",")
    networks = []
    for entry in entries:
        entry = entry.strip()
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                current_app.logger.error("AUTH_TRUSTED_PROXIES: not an address or network: %r", entry)
    return networks


def is_trusted(address: str) -> bool:
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(peer in network for network in _trusted_networks())


def sign_in_from_header() -> None:
    """Run before every request (accounts.signin): sign in, switch or ignore, as the header says."""
    value = request.headers.get(current_app.config["AUTH_TRUSTED_HEADER"], "").strip()
    if not value:
        return
    peer = direct_peer()
    if not is_trusted(peer):
        audit.record("auth.sso_refused", username=value[:MAX_USERNAME], peer=peer,
                     header=current_app.config["AUTH_TRUSTED_HEADER"])
        db.session.commit()
        return
    if current_user.is_authenticated:
        if sessions.method() != sessions.METHOD_SSO or current_user.username == value:
            return
        audit.record("auth.logout", current_user._get_current_object(), reason="sso_user_changed",
                     new_username=value[:MAX_USERNAME])
        db.session.commit()
        sessions.end()
    if session.get("sso_refused") == value:
        return  # already told in this session
    user = find_user(value)
    reason = None
    if user is None:
        reason = "unknown_user"
    elif not user.active:
        reason = "inactive"
    elif is_administrator(user):
        reason = "administrator_local_only"
    if reason:
        audit.record("auth.login_failed", user, username=value[:MAX_USERNAME], reason=reason, method="sso")
        db.session.commit()
        session["sso_refused"] = value
        flash(f"统一身份认证账号「{value[:MAX_USERNAME]}」在本系统中没有可用的账号，"
              "请用本系统的账号密码登录，或联系系统管理员。", "warning")
        return
    user.last_login_at = sessions.now()
    audit.record("auth.login", user, user=user, method=sessions.METHOD_SSO)
    db.session.commit()
    sessions.start(user, sessions.METHOD_SSO)

