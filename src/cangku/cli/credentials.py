"""Where the command line keeps its sign-in, and how it reads passwords.

``cangku login`` stores a personal API token in a file only its owner can read
(``~/.config/cangku/token``, or ``CANGKU_TOKEN_FILE``); ``CANGKU_TOKEN`` in the environment
takes precedence over the file (for scripts and CI). Passwords are never taken from a
command-line argument (they would show in ``ps`` and the shell history): a hidden prompt, a
file (``-`` for standard input), or standard input when it is not a terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cangku.domain.errors import InvalidInput

TOKEN_ENV = "CANGKU_TOKEN"
TOKEN_FILE_ENV = "CANGKU_TOKEN_FILE"
#: the longest line read as a password or token (the policy allows 256 characters)
MAX_SECRET = 1024

PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file's first line ('-': standard input).",
        show_default=False,
    ),
]


def token_file() -> Path:
    """The file ``cangku login`` writes (``CANGKU_TOKEN_FILE`` or ``~/.config/cangku/token``)."""
    configured = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".config" / "cangku" / "token"


def stored_token() -> str | None:
    """The token in the token file, if there is one."""
    try:
        text = token_file().read_text(encoding="utf-8")[:MAX_SECRET]
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the token file {token_file()}: {exc.strerror}", code="file_unreadable"
        ) from None
    return text.strip() or None


def current_token() -> str | None:
    """The token commands act with: ``CANGKU_TOKEN``, else the token file."""
    return os.environ.get(TOKEN_ENV, "").strip() or stored_token()


def store_token(token: str) -> Path:
    """Write the token file atomically, readable by its owner only (mode 0600)."""
    path = token_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".token-", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def forget_token() -> bool:
    """Delete the token file; False when there was none."""
    try:
        token_file().unlink()
    except FileNotFoundError:
        return False
    return True


def read_password(
    password_file: Path | None,
    *,
    prompt: str = "Password",
    confirm: bool = False,
    environment: str | None = None,
) -> str:
    """A password from ``password_file`` (``-``: standard input), the ``environment`` variable,
    standard input when it is not a terminal, or a hidden prompt (asked twice if ``confirm``).

    Raises InvalidInput ``file_unreadable`` or ``password_required`` (nothing given).
    """
    if password_file is not None:
        if str(password_file) == "-":
            text = sys.stdin.readline(MAX_SECRET)
        else:
            try:
                with password_file.open(encoding="utf-8") as source:
                    text = source.readline(MAX_SECRET)
            except OSError as exc:
                raise InvalidInput(
                    f"cannot read {password_file}: {exc.strerror}", code="file_unreadable"
                ) from None
        password = text.rstrip("\r\n")
    elif environment and os.environ.get(environment):
        password = os.environ[environment]
    elif not sys.stdin.isatty():
        password = sys.stdin.readline(MAX_SECRET).rstrip("\r\n")
    else:
        password = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    if not password:
        raise InvalidInput("no password given", code="password_required")
    return password
