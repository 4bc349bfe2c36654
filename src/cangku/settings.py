"""Settings from ``CANGKU_*`` environment variables or a ``cangku.toml`` file.

Precedence: environment, then secret files in the directory named by ``CANGKU_SECRETS_DIR``
(one file per setting, named like its variable, e.g. ``cangku_database_url``: how Docker and
systemd credentials hand over secrets), then the file named by ``CANGKU_CONFIG`` (default
``./cangku.toml``), then the defaults below. Secrets never belong in the repository.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANGKU_", extra="ignore")

    database_url: str = "sqlite:///cangku.db"
    #: the first administrator's user name (``cangku init``, ``cangku demo``)
    default_user: str = "admin"
    #: a web session ends after this many minutes without a request ...
    session_idle_minutes: int = 60
    #: ... and at the latest this many hours after sign-in
    session_max_hours: int = 12
    #: send cookies only over HTTPS (turn off only for plain-HTTP local use)
    secure_cookies: bool = True
    #: failed sign-ins allowed per user name (and 10x per address) in the window below
    sign_in_max_failures: int = 5
    sign_in_window_minutes: int = 15
    #: largest request body the API accepts, in bytes
    max_request_bytes: int = 1_048_576
    #: largest file upload (imports of master data, opening stock and moves), in bytes
    max_upload_bytes: int = 33_554_432
    default_language: str = "zh_CN"
    #: scheduled backups (``cangku backup --dir``, ``cangku backup schedule``): the directory,
    #: how many to keep, how often (``30m``, ``6h``, ``1d``); see docs/operations/backup.md
    backup_dir: str | None = None
    backup_keep: int = 7
    backup_interval: str = "1d"
    #: encrypt backups: a file holding a 32-byte key, or a passphrase (better from a file)
    backup_key_file: str | None = None
    backup_passphrase_file: str | None = None
    backup_passphrase: SecretStr | None = None
    page_size: int = 50
    #: background jobs (``cangku jobs``, ADR 0031): where huey keeps its queue and the jobs' run
    #: history: empty = a SQLite file beside a SQLite database (``cangku-jobs.db`` in the
    #: working directory otherwise), ``sqlite:///PATH``, ``redis://...``, ``postgresql://...``
    #: (the database huey creates its own ``huey_*`` tables in), or ``memory:``
    jobs_url: str = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get("CANGKU_CONFIG", "cangku.toml"))
        sources: list[Any] = [init_settings, env_settings]
        secrets = os.environ.get("CANGKU_SECRETS_DIR")
        if secrets:
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets))
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
