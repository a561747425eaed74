"""A command group whose sub-commands are imported when they are run, not when the program starts.

`fangkong --help` lists every command from a table of names and one-line helps; only the command typed (e.g.
`codes` of `fangkong codes show P1`) is imported, with what it needs. Before this, each start imported every
domain's commands and, through them, SQLAlchemy, the models, ibis, DuckDB and pyarrow (about 3 s, issue 27).
tests/test_startup.py keeps the table's helps equal to the commands' own and `--help` free of the heavy modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer._click.core import (  # typer's own copy of click (typer >= 0.24), not the click package
    Command,
    Context,
)
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

__all__ = ["Lazy", "LazyGroup"]


@dataclass(frozen=True)
class Lazy:
    """A sub-command by where it lives: "module:attribute", a typer.Typer (a group) or a function (a command),
    and the one-line help `--help` shows without importing it."""
    target: str
    help: str


class LazyGroup(TyperGroup):
    """A TyperGroup that also has `lazy` sub-commands (a subclass sets the table, in the order `--help` lists
    them after the group's own commands, or at the places `order` gives), and `aliases`: former names of a
    sub-command that still run it (old scripts) but are not listed."""

    lazy: dict[str, Lazy] = {}
    order: tuple[str, ...] = ()
    aliases: dict[str, str] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        names = [n for n in self.order if n in self.commands or n in self.lazy]
        names += [n for n in self.commands if n not in names]
        return names + [n for n in self.lazy if n not in names]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        cmd_name = self.aliases.get(cmd_name, cmd_name)
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return self.commands.get(cmd_name)
        # asked for its help line only (the listing of `--help`): a stand-in, nothing imported
        return TyperCommand(cmd_name, help=self.lazy[cmd_name].help, rich_markup_mode=self.rich_markup_mode)

    def load(self, cmd_name: str) -> Command:
        """The real command (imported once)."""
        if cmd_name not in self.commands:
            module, _, attr = self.lazy[cmd_name].target.partition(":")
            self.commands[cmd_name] = _as_click(getattr(importlib.import_module(module), attr), cmd_name,
                                                self.rich_markup_mode)
        return self.commands[cmd_name]

    def load_all(self) -> None:
        for name in self.lazy:
            self.load(name)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] in self.aliases:
            args = [self.aliases[args[0]], *args[1:]]
        if args and args[0] in self.lazy:
            self.load(args[0])
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as e:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


def _as_click(obj: Any, name: str, markup: Any) -> Command:
    """What `app.add_typer(obj, name=...)` or `app.command(name)(obj)` would have mounted."""
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    if isinstance(obj, typer.Typer):
        return get_group_from_info(TyperInfo(obj, name=name), pretty_exceptions_short=True, suggest_commands=True,
                                   rich_markup_mode=markup)
    return get_command_from_info(CommandInfo(name=name, callback=obj), pretty_exceptions_short=True,
                                 rich_markup_mode=markup)
