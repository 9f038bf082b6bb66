"""Every command has --help with an example (sqlite-utils style), and the command table is whole."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from flowgraph.cli.main import COMMANDS, LazyGroup, cli


def all_commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.append(path)
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))

    walk(cli, ())
    return found


def test_every_spec_command_is_available():
    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)
    for name in COMMANDS:
        assert LazyGroup._load(name) is not None, f"command {name} failed to import"


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "flowgraph")
def test_help_has_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    if path:  # leaf commands and groups both show how they are used
        assert "Example" in result.output or "Commands:" in result.output
