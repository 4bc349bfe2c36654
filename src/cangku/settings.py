"""Settings from ``CANGKU_*`` environment variables or a ``cangku.toml`` file.

Precedence: environment, then the file named by ``CANGKU_CONFIG`` (default ``./cangku.toml``),
then the defaults below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANGKU_", extra="ignore")

    database_url: str = "sqlite:///cangku.db"
    #: the user that acts when a request names none (until sign-in arrives)
    default_user: str = "admin"
    #: largest request body the API accepts, in bytes
    max_request_bytes: int = 1_048_576
    default_language: str = "zh_CN"
    page_size: int = 50

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
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
