"""Shared state of one CLI invocation and the helpers every command uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from flowgraph.config import load_config_file, store_uri
from flowgraph.store import Store, open_store


@dataclass
class AppContext:
    store_option: str | None = None
    debug: bool = False
    _config: dict | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def config(self) -> dict:
        if self._config is None:
            self._config = load_config_file()
        return self._config

    @property
    def store_uri(self) -> str:
        return store_uri(self.store_option, self.config)

    def store(self, *, create: bool = False) -> Store:
        """Open the store once per invocation; closed when the command ends. Only commands that
        write uploads or a registry pass ``create=True``: the others never make an empty store
        where none is (SPEC §4)."""
        if self._store is None:
            self._store = open_store(self.store_uri, create=create)
            click.get_current_context().call_on_close(self._store.close)
        return self._store


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def warn_without_registry(registry) -> None:
    """One line on stderr when no registry is loaded: every designation and quota check then
    sees no enterprise, so the results would mislead without it."""
    if registry.enterprises.empty:
        click.echo(
            "Warning: no registry loaded: every enterprise counts as undesignated and "
            "unregistered (load it with `flowgraph registry load DIR`)",
            err=True,
        )
