"""``cangku --version``."""

from __future__ import annotations

from typer.testing import CliRunner

from cangku import __version__
from cangku.cli.main import app


def test_version_prints_the_version_and_exits() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"cangku {__version__}"


def test_commands_still_work_after_the_version_option() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "--version" in result.output
