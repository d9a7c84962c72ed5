"""One HTTP client for every service: a rate limit, a retry budget with backoff on 429 and 5xx,
an injectable transport (``httpx.MockTransport`` in the tests), and errors that name the request
(secrets redacted) and what was wrong with the answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import httpx

SECRET_PARAMS = frozenset({"api_key"})
USER_AGENT = "livingreview-surveillance (+https://github.com; systematic review search)"


class SearchError(Exception):
    """A request that failed, or an answer the run cannot use. ``str()`` is the whole message:
    the request (method and URL, no secrets) and what was wrong."""

    def __init__(self, request: str, problem: str):
        super().__init__(f"{request}: {problem}")
        self.request = request
        self.problem = problem


class NoNetwork(SearchError):
    """The host could not be reached at all (no retry: a run without network fails at once)."""


def require_count(request: str, reported: int, retrieved: int, mismatch: str) -> None:
    """Refuse a result whose record count differs from the count the service reported
    (``mismatch`` says both, in the service's terms): the run then changes nothing."""
    if retrieved != reported:
        raise SearchError(
            request, f"{mismatch}: the result is refused (nothing was changed); run again later"
        )


def describe(url: str, params: Mapping[str, object] | None = None) -> str:
    """``GET url?query`` with every secret parameter shown as ``***``."""
    shown = {k: ("***" if k in SECRET_PARAMS else v) for k, v in (params or {}).items()}
    return f"GET {url}" + (f"?{urlencode(shown)}" if shown else "")


class Client:
    """``get(url, params)`` -> ``httpx.Response`` with status 200, or :class:`SearchError`.

    ``min_interval`` spaces requests (NCBI: 1/3 s, or 1/10 s with an API key). 429, 5xx and
    timeouts are retried up to ``retries`` times, waiting ``backoff * 2**attempt`` seconds (or
    the server's ``Retry-After``, at most ``max_wait``). ``sleep`` and ``clock`` are injectable so
    the tests neither wait nor depend on timing."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        min_interval: float = 0.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._http = httpx.Client(
            transport=transport, timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self.requests = 0  # sent, retries included

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pace(self) -> None:
        if self._last is not None and self.min_interval > 0:
            wait = self.min_interval - (self._clock() - self._last)
            if wait > 0:
                self._sleep(wait)
        self._last = self._clock()

    def _wait_for(self, attempt: int, response: httpx.Response | None) -> float:
        after = response.headers.get("Retry-After", "") if response is not None else ""
        wait = float(after) if after.replace(".", "", 1).isdigit() else self.backoff * 2**attempt
        return min(wait, self.max_wait)

    def get(self, url: str, params: Mapping[str, object] | None = None) -> httpx.Response:
        shown = describe(url, params)
        last = ""
        for attempt in range(self.retries + 1):
            self._pace()
            self.requests += 1
            try:
                response = self._http.get(url, params=dict(params or {}))
            except httpx.ConnectError as exc:
                raise NoNetwork(
                    shown,
                    f"cannot reach the host ({exc}); is there a network connection? Nothing was changed",
                ) from None
            except httpx.TimeoutException:
                last = "no answer before the timeout"
                response = None
            except httpx.TransportError as exc:
                raise SearchError(shown, f"the connection failed: {type(exc).__name__}: {exc}") from None
            if response is not None:
                if response.status_code == 200:
                    return response
                if response.status_code != 429 and response.status_code < 500:
                    raise SearchError(shown, f"HTTP {response.status_code}: {_excerpt(response.text)}")
                last = f"HTTP {response.status_code}"
            if attempt < self.retries:
                self._sleep(self._wait_for(attempt, response))
        raise SearchError(shown, f"{last} on each of {self.retries + 1} attempts (retry budget spent)")


def _excerpt(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"
