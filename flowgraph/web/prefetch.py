"""Pages computed while the browser loads the workbench's scripts.

A Dash page is drawn in two steps: the browser fetches the HTML and evaluates ~3 MB of
JavaScript (0.5-0.8 s on this machine), then asks the server for the page's content (the route
callback), which the server computes (0.1-0.6 s at scale 100) while the browser waits. So when
the HTML of a page is requested, the server starts computing that page's content in a
background thread, and the route callback that follows takes the result (or waits for it)
instead of starting then: the two halves run side by side on two cores.

A result is used once, only by a request with the same page, query, language and signed-in
user (the key; what ``render`` depends on besides the store), and only within ``TTL`` seconds;
anything else (in-app navigation, a result that failed) is computed by the callback as before.
Off until a server of the workbench (``flowgraph.web.wsgi_server``) serves the app, which
turns it off and waits for what is running when it stops (the store may be closed next: a
page computed on a closed SQLite connection would crash the process); a Flask test client
computes every page in its callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import parse_qs, unquote

TTL = 30.0  # seconds a computed page waits for its callback
MAX_PENDING = 4  # pages computed or waiting at once (a burst of page loads starts no more)


def route_key(pathname: str | None, search: str | None, lang: str, user: str) -> tuple:
    """What identifies a page's content: its path (as ``render`` splits and unquotes it), its
    query, the reader's language and who is signed in.

    >>> route_key("/lot/L%201", "?year=2024", "en", "ana")
    (('lot', 'L 1'), (('year', '2024'),), 'en', 'ana')
    """
    parts = tuple(unquote(p) for p in (pathname or "/").strip("/").split("/"))
    query = tuple(sorted((k, v[-1]) for k, v in parse_qs((search or "").lstrip("?")).items()))
    return parts, query, lang, user


class Prefetch:
    """Page contents started ahead of their route callback (thread-safe)."""

    def __init__(self, workers: int = 2) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._items: dict[tuple, tuple[float, Future]] = {}
        self.cpu_seconds = 0.0  # thread CPU time spent computing pages (for the benchmark)
        self.enabled = False

    def start(self, key: tuple, compute: Callable[[], object]) -> bool:
        """Compute ``compute()`` in the background for ``key``; False when too many are
        pending (then the callback computes the page itself)."""
        now = time.monotonic()
        with self._lock:
            if not self.enabled:
                return False
            self._items = {k: v for k, v in self._items.items() if now - v[0] < TTL}
            if key in self._items or len(self._items) >= MAX_PENDING:
                return False
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="fg-prefetch")
            self._items[key] = (now, self._pool.submit(self._timed, compute))
        return True

    def stop(self) -> None:
        """Start no more, and wait for the pages being computed."""
        with self._lock:
            self.enabled, pool, self._pool = False, self._pool, None
            self._items.clear()
        if pool is not None:
            pool.shutdown(wait=True)

    def _timed(self, compute: Callable[[], object]):
        started = time.thread_time()
        try:
            return compute()
        finally:
            with self._lock:
                self.cpu_seconds += time.thread_time() - started

    def take(self, key: tuple, timeout: float = TTL):
        """The content computed for ``key`` (waiting for it if still running), or None when
        there is none (or it failed: the caller computes it and meets the error itself)."""
        with self._lock:
            item = self._items.pop(key, None)
        if item is None or time.monotonic() - item[0] >= TTL:
            return None
        try:
            return item[1].result(timeout=timeout)
        except Exception:  # computed again by the caller, which reports the error as usual
            return None
