"""The password policy (NIST SP 800-63B style: length over composition rules)."""

from __future__ import annotations

from cangku.domain.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256

#: refused outright: the most common passwords of at least MIN_LENGTH characters
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "1q2w3e4r5t",
        "qwertyuiop",
        "password1!",
        "password12",
        "password123",
        "passw0rd123",
        "iloveyou123",
        "administrator",
        "admin12345",
        "admin123456",
        "changeme123",
        "welcome123",
        "letmein1234",
        "qwerty1234",
        "qwerty12345",
        "abcdefghij",
        "1111111111",
        "cangku1234",
        "warehouse1",
        "inventory1",
    }
)


def check_password(password: str, username: str) -> None:
    """Raise InvalidInput ``weak_password`` (with the reason) unless the password is acceptable."""
    reason = None
    if len(password) < MIN_LENGTH:
        reason = f"a password has at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        reason = f"a password has at most {MAX_LENGTH} characters"
    elif password.lower() in COMMON:
        reason = "this password is too common"
    elif username and username.lower() in password.lower():
        reason = "a password may not contain the user name"
    elif len(set(password)) < 4:
        reason = "a password needs at least 4 different characters"
    if reason is not None:
        raise InvalidInput(reason, code="weak_password")
