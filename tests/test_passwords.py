"""The password policy (issue 6 §5): at least 8 characters, at least 3 of the 4 character classes,
not containing the username, not in the list of common passwords that ships with the app."""
import pytest

from dangjian.accounts.passwords import common_passwords, generate_temporary_password, policy_problems


@pytest.mark.parametrize("password", ["Dangjian#2026", "zhibu-2026-Li", "红旗Abc123!", "abcDEF12"])
def test_acceptable_passwords(password):
    assert policy_problems(password, "lishuji") == []


@pytest.mark.parametrize("password,problem", [
    ("Ab1#xyz", "密码至少8位"),
    ("abcdefgh12", "至少3类"),       # two classes
    ("ABCDEFGH!!", "至少3类"),
    ("12345678#", "至少3类"),
    ("Lishuji#2026", "不能包含账号"),  # the username, whatever its letter case
    ("xLISHUJIx1", "不能包含账号"),
    ("P@ssw0rd", "过于常见"),
    ("p@SSW0RD", "过于常见"),         # the list is compared case-insensitively
    ("Admin@123", "过于常见"),
])
def test_refused_passwords_say_why_in_chinese(password, problem):
    problems = policy_problems(password, "lishuji")
    assert any(problem in p for p in problems), problems


def test_every_shipped_common_password_is_refused():
    assert len(common_passwords()) > 20
    for password in common_passwords():
        assert policy_problems(password), password


def test_temporary_passwords_meet_the_policy_and_never_repeat():
    passwords = {generate_temporary_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 12 and policy_problems(password, "admin") == []
        assert not set(password) & set("O0Il1")  # no look-alikes to misread from a screen
