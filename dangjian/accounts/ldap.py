"""Sign-in through the university's LDAP directory (ldap3). Off unless AUTH_LDAP_URL is set.

How a password is checked: find the user's entry under AUTH_LDAP_BASE_DN with AUTH_LDAP_USER_FILTER
("(uid={username})": by 工号), bound as AUTH_LDAP_BIND_DN when given (else anonymously); then bind
as that entry with the password typed. The directory decides; nothing of the password is kept.

Which accounts use it (accounts.authentication): never a 系统管理员 (always the local password);
for everybody else the directory comes first when it knows the username, and the local password
only when it does not (or cannot be reached).
"""
import logging
from dataclasses import dataclass, field

from flask import current_app

log = logging.getLogger(__name__)

# What check_password answers.
OK = "ok"                  # the directory accepted the password
BAD_PASSWORD = "bad"       # the entry exists; the password is wrong
NOT_FOUND = "not_found"    # no entry for this username
UNAVAILABLE = "unavailable"  # the directory could not be reached or searched


@dataclass
class Result:
    outcome: str
    dn: str = ""
    attributes: dict = field(default_factory=dict)

    def first(self, name: str) -> str:
        value = self.attributes.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        return str(value or "").strip()


def enabled() -> bool:
    return bool(current_app.config.get("AUTH_LDAP_URL"))


def _server():
    from ldap3 import Server
    timeout = current_app.config.get("AUTH_LDAP_TIMEOUT", 5)
    return Server(current_app.config["AUTH_LDAP_URL"], connect_timeout=timeout)


def _find(username: str) -> Result:
    from ldap3 import ALL_ATTRIBUTES, SIMPLE, Connection
    from ldap3.utils.conv import escape_filter_chars
    config = current_app.config
    user_filter = config["AUTH_LDAP_USER_FILTER"].replace("{username}", escape_filter_chars(username))
    bind_dn = config.get("AUTH_LDAP_BIND_DN") or None
    conn = Connection(_server(), user=bind_dn, password=config.get("AUTH_LDAP_BIND_PASSWORD") or None,
                      authentication=SIMPLE if bind_dn else None,
                      receive_timeout=config.get("AUTH_LDAP_TIMEOUT", 5), raise_exceptions=False)
    try:
        if not conn.bind():
            log.error("LDAP: the search bind as %r failed: %s", bind_dn, conn.result.get("description"))
            return Result(UNAVAILABLE)
        conn.search(config["AUTH_LDAP_BASE_DN"], user_filter, attributes=ALL_ATTRIBUTES, size_limit=2)
        entries = [e for e in conn.response or () if e.get("type") == "searchResEntry"]
        if len(entries) > 1:
            log.error("LDAP: %d entries match %s; refusing an ambiguous sign-in", len(entries), user_filter)
            return Result(NOT_FOUND)
        if not entries:
            return Result(NOT_FOUND)
        return Result(OK, entries[0]["dn"], dict(entries[0].get("attributes") or {}))
    finally:
        conn.unbind()


def check_password(username: str, password: str) -> Result:
    """Ask the directory whether `password` is `username`'s (see the module docstring)."""
    if not username or not password:
        # An empty password would be an "unauthenticated bind", which LDAP servers accept.
        return Result(BAD_PASSWORD)
    # ldap3 is imported only when LDAP is configured (it warns about pyasn1 on import).
    from ldap3 import SIMPLE, Connection
    from ldap3.core.exceptions import LDAPException
    try:
        found = _find(username)
        if found.outcome != OK:
            return found
        conn = Connection(_server(), user=found.dn, password=password, authentication=SIMPLE,
                          receive_timeout=current_app.config.get("AUTH_LDAP_TIMEOUT", 5),
                          raise_exceptions=False)
        try:
            accepted = conn.bind()
        finally:
            conn.unbind()
    except LDAPException as exc:
        log.error("LDAP: %s unreachable: %s", current_app.config["AUTH_LDAP_URL"], exc)
        return Result(UNAVAILABLE)
    return Result(OK if accepted else BAD_PASSWORD, found.dn, found.attributes)
