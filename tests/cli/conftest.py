"""Every CLI test runs signed in as the administrator (``CANGKU_TOKEN``), with a token file
of its own (never the real ``~/.config/cangku/token``).

A test module that needs a database nobody has signed in to (``init``, ``demo``) overrides
``signed_in`` with a fixture that returns None.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.uow import Database
from cangku.settings import get_settings
from tests.auth import admin_token
from tests.cli.tree import Invoke


@pytest.fixture(autouse=True)
def token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ``cangku login`` keeps its token in this test; no ``CANGKU_TOKEN`` yet."""
    path = tmp_path / "config" / "cangku" / "token"
    monkeypatch.setenv("CANGKU_TOKEN_FILE", str(path))
    monkeypatch.delenv("CANGKU_TOKEN", raising=False)
    return path


@pytest.fixture(autouse=True)
def signed_in(token_file: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The administrator's token, in ``CANGKU_TOKEN`` (CliRunner passes the environment on)."""
    token = admin_token(db)
    monkeypatch.setenv("CANGKU_TOKEN", token)
    return token


@pytest.fixture
def cangku(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run ``cangku ARGS...`` (keyword ``stdin``: what standard input holds)."""
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=stdin)

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()
