"""Typed errors raised by the library; the CLI maps each to one line and an exit status."""

from __future__ import annotations

from dataclasses import dataclass


class FlowgraphError(Exception):
    """Root of every error flowgraph raises on purpose (exit status 1 unless a child says otherwise)."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located as a spreadsheet user counts it (header = row 1).

    >>> str(Problem("jan.csv", 3, "mass_kg", "must be > 0"))
    'jan.csv:3:mass_kg: must be > 0'
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
            if self.column is not None:
                where += f":{self.column}"
        elif self.column is not None:
            where += f"::{self.column}"
        return f"{where}: {self.message}"


class InputError(FlowgraphError):
    """Bad input: carries every problem found, so a user fixes a file in one pass."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems, None, None, "bad input")]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        # Warnings about the same input (e.g. unknown columns) that still deserve a line.
        self.warnings: list[str] = []
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(FlowgraphError):
    """Bad usage of a command or library call (an unknown query, a malformed option value)."""

    exit_code = 2


class StoreUnavailable(FlowgraphError):
    """The store cannot be reached or opened (Neo4j down, wrong password, unreadable file)."""

    exit_code = 3


class LoadStopped(FlowgraphError):
    """A load stopped before its last file (Ctrl-C: exit 130; the store failing: exit 3).

    Carries what was committed until then (``summary``, an ``ingest.LoadSummary``) and how many
    files the load had (``total``), so the CLI can still say what is stored and what a rerun does.
    """

    def __init__(self, message: str, summary, total: int, exit_code: int):
        super().__init__(message)
        self.summary = summary
        self.total = total
        self.exit_code = exit_code


class QueryRefused(UsageError):
    """The server refused an investigator's read-only query: ``wrote`` when it tried to
    write, else it failed (syntax, unknown function...); ``reason`` is the server's words."""

    def __init__(self, reason: str, wrote: bool):
        self.reason, self.wrote = reason, wrote
        what = "tried to write; queries run read-only" if wrote else "failed:"
        super().__init__(f"query {what} ({reason})" if wrote else f"query {what} {reason}")
