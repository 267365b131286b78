"""Accounts: sign-in, sessions, passwords, LDAP and single sign-on, and the 系统管理员's pages for
accounts and roles with terms (三员分立: the administrator sees no business content)."""
