"""Settings: environment first, then secret files, then cangku.toml, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from cangku.settings import Settings


def test_a_secret_file_supplies_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cangku_database_url").write_text("postgresql://app:s3cret@db/cangku")
    monkeypatch.setenv("CANGKU_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("CANGKU_DATABASE_URL", raising=False)
    monkeypatch.setenv("CANGKU_CONFIG", str(tmp_path / "absent.toml"))
    assert Settings().database_url == "postgresql://app:s3cret@db/cangku"


def test_the_environment_wins_over_a_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cangku_database_url").write_text("postgresql://from-file/x")
    monkeypatch.setenv("CANGKU_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("CANGKU_DATABASE_URL", "sqlite:///from-env.db")
    assert Settings().database_url == "sqlite:///from-env.db"


def test_a_config_file_comes_after_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cangku.toml"
    config.write_text('default_language = "en"\nsession_idle_minutes = 15\n')
    monkeypatch.setenv("CANGKU_CONFIG", str(config))
    monkeypatch.setenv("CANGKU_SESSION_IDLE_MINUTES", "30")
    monkeypatch.delenv("CANGKU_DEFAULT_LANGUAGE", raising=False)
    settings = Settings()
    assert (settings.default_language, settings.session_idle_minutes) == ("en", 30)
