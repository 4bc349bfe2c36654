"""Help texts are whole sentences (issue 10, defect 11: "help texts cut mid-sentence").

A command list (``cangku --help``, ``cangku stock --help``) shows each command's summary: the
first paragraph of its help. Click shortens that paragraph to fit the 80-column list, at the
first word that ends with a period ("e.g.", "etc." too) or else with "...", so a long or
multi-sentence first paragraph is shown cut. The rule checked here, for every command and
group: the summary is one sentence that ends with a period, and the list shows all of it.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import typer
import typer.testing

from cangku.cli.main import app
from tests.cli.tree import Invoke

#: click's help formatter is at most 80 columns wide; a command list gives its text
#: 80 - 6 - (the longest command name in the list) of them
WIDTH = 80
ROOT = typer.main.get_command(app)


def _groups() -> list[tuple[str, Any]]:
    """Every command group of ``cangku`` (the root too) as ("words", click group)."""
    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            found.append((" ".join(path), command))
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*path, name])

    walk(ROOT, [])
    return found


def summary(command: Any) -> str:
    """The first paragraph of a command's help, on one line."""
    first = inspect.cleandoc(command.help or "").partition("\n\n")[0]
    return " ".join(first.split())


LISTED = [
    (f"{group} {name}".strip(), group_command, name)
    for group, group_command in _groups()
    for name in sorted(group_command.commands)
    if not group_command.commands[name].hidden
]


def _problems(words: str, group: Any, name: str) -> list[str]:
    command = group.commands[name]
    visible = [n for n, c in group.commands.items() if not c.hidden]
    limit = WIDTH - 6 - max(len(n) for n in visible)
    text = summary(command)
    checks = [
        (bool(text), "no help"),
        (command.short_help is None, "a short_help other than the help's first paragraph"),
        (text.endswith(".") and not text.endswith(".."), f"{text!r} does not end a sentence"),
        (len(text) <= limit, f"{text!r} is longer than the {limit} columns listed"),
        (command.get_short_help_str(limit) == text, f"{text!r} is shown cut"),
    ]
    return [f"{words}: {problem}" for ok, problem in checks if not ok]


def test_every_listed_summary_is_one_whole_sentence() -> None:
    problems = [p for words, group, name in LISTED for p in _problems(words, group, name)]
    assert problems == []


def test_every_help_page_shows_whole_summaries(
    cangku: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each group's command list, and each command's own --help, shows the whole summary."""
    # the runner builds the command tree on every call (most of a second); build it once
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: ROOT)
    missing = []
    for words, group in _groups():
        listed = _shown(cangku, words)
        missing += [f"{words} {n}" for n, c in group.commands.items() if summary(c) not in listed]
    for words, group, name in LISTED:
        if summary(group.commands[name]) not in _shown(cangku, words):
            missing.append(f"{words} --help")
    assert missing == []


def _shown(cangku: Invoke, words: str) -> str:
    result = cangku(*words.split(), "--help")
    assert result.exit_code == 0, result.output
    return " ".join(result.output.replace("│", " ").split())
