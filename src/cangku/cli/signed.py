"""Negative numbers on the command line: ``cangku stock adjust BOLT -2 --location A --reason
lost`` is a loss of 2, wherever ``-2`` stands among the options.

The option parser under Typer reads every word that starts with ``-`` as an option, so a
signed quantity was refused as "No such option: -2". Commands made with ``cls=SignedNumbers``
read a word that is a number in the number grammar with a minus (``-2``, ``-0.5``) as an
argument instead. No cangku option is named like a number, and a misspelt option is still
refused as one (unlike Click's ``ignore_unknown_options``, which let it through as an
argument). Whether a negative value is allowed is then the command's own rule: an adjustment
takes it, a receipt refuses it as ``quantity_not_positive`` (exit 4).
"""

from __future__ import annotations

import re
from typing import Any

from typer._click.parser import _OptionParser, _ParsingState
from typer.core import TyperCommand

#: a negative number in the one number grammar (domain/quantities.py)
NEGATIVE_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?", re.ASCII)


class _SignedParser(_OptionParser):
    def _process_opts(self, arg: str, state: _ParsingState) -> None:
        if NEGATIVE_NUMBER.fullmatch(arg):
            state.largs.append(arg)
            return
        super()._process_opts(arg, state)


class SignedNumbers(TyperCommand):
    """A command whose arguments may be negative numbers (see the module docstring)."""

    def make_parser(self, ctx: Any) -> _OptionParser:
        parser = _SignedParser(ctx)
        for param in self.get_params(ctx):
            param.add_to_parser(parser, ctx)
        return parser
