"""Entry point: the ``flowgraph`` group, global options and error-to-exit-status mapping."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from flowgraph.cli.context import AppContext
from flowgraph.errors import FlowgraphError, InputError

# command name -> "module:attribute"; imported lazily so `flowgraph --help` stays fast.
COMMANDS = {
    "registry": "flowgraph.cli.registry:registry",
    "load": "flowgraph.cli.load:load",
    "check": "flowgraph.cli.check:check",
    "uploads": "flowgraph.cli.load:uploads",
    "synth": "flowgraph.cli.synth:synth",
    "detect": "flowgraph.cli.detect:detect",
    "trace": "flowgraph.cli.trace:trace",
    "quota": "flowgraph.cli.quota:quota",
    "query": "flowgraph.cli.query:query",
    "report": "flowgraph.cli.report:report",
    "serve": "flowgraph.cli.serve:serve",
    "findings": "flowgraph.cli.findings:findings",
    "review": "flowgraph.cli.findings:review",
    "show": "flowgraph.cli.show:show",
    "neo4j-import": "flowgraph.cli.neo4j_import:neo4j_import",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    def invoke(self, ctx: click.Context):
        """Turn library errors into one clear line each and the SPEC exit status.

        Done here rather than in main() so CliRunner tests see exactly what users see.
        """
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # `flowgraph uploads | head -1`: the reader has what it wanted; end quietly (and
            # keep Python from complaining again when it flushes stdout at exit).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except FlowgraphError as e:
            debug = isinstance(ctx.obj, AppContext) and ctx.obj.debug
            if debug:
                traceback.print_exc()
            problems = e.problems if isinstance(e, InputError) else [e]
            for problem in problems:
                click.echo(f"Error: {problem}", err=True)
            ctx.exit(e.exit_code)
        except Exception as e:
            if isinstance(ctx.obj, AppContext) and ctx.obj.debug:
                raise
            click.echo(f"Internal error: {type(e).__name__}: {e} (rerun with --debug)", err=True)
            ctx.exit(1)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:  # command not built yet
                return None
            raise
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_option",
    metavar="PATH|URI",
    help="Embedded store file (default ./flowgraph.db) or a bolt:// / neo4j:// URI. "
    "Env: FLOWGRAPH_STORE.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="flowgraph")
@click.pass_context
def cli(ctx: click.Context, store_option: str | None, debug: bool) -> None:
    """Rare-earth product-flow analytics: load monthly uploads, find what does not add up.

    \b
    Example:
      flowgraph registry load data/registry
      flowgraph load data/uploads
      flowgraph detect --year 2024
    """
    ctx.obj = AppContext(store_option=store_option, debug=debug)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="flowgraph")
