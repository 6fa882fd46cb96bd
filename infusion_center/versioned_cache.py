"""Cached reads invalidated by version stamps: the fixed part of a center's planner input, a user's
permissions and centers, availability answers per center-day.

A *scope* ("center:7", "center-day:7:739971", "user:12") has a version number kept in the cache;
every value cached for the scope is stored under a key holding that number, so bumping the version
makes every older value unreachable at once (they expire on their own). Writers bump the scopes they
change (model signals in ``scheduling.apps`` and the booking service) twice: at once, so the writing
transaction itself reads fresh values, and again when it commits, so a reader that loaded the
pre-commit rows meanwhile and stored them under the new number is orphaned as well.

Values are also kept, pickled, in the process's memory under the same versioned key, so a hit
costs one round trip (the versions). Within one web request a scope's version is read once
(:func:`request_started` opens a memo, :func:`request_finished` closes it): the request sees the
versions as of its first read of each scope, as if it had read them all at once, and its own bumps
update the memo, so it always sees its own writes. A booking asks for a dozen cached reads over
four scopes; without the memo that was a dozen round trips. The cache is Django's ``default`` cache: the project's Redis when ``REDIS_URL`` is set (shared by
every web process and worker), the process's local memory otherwise (a single process then). Keys
carry the database's name and its PostgreSQL OID, so scratch and test databases, whose ids start
from 1 again, never see each other's values.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction

log = logging.getLogger(__name__)

T = TypeVar("T")

# Values live this long at most (a safety net; versions do the invalidation).
TIMEOUT_SECONDS = 6 * 3600
VERSION_TIMEOUT_SECONDS = 7 * 24 * 3600
_MISSING = object()
_database_tokens: dict[str, str] = {}


def _database() -> str:
    name = str(connection.settings_dict["NAME"])
    token = _database_tokens.get(name)
    if token is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            token = _database_tokens[name] = f"{name}.{cursor.fetchone()[0]}"
    return token


def _version_key(scope: str) -> str:
    return f"ic:{_database()}:v:{scope}"


# The versions this request has read or written (None outside a request: every read asks the cache).
_request_versions: ContextVar[dict[str, int] | None] = ContextVar("request_versions", default=None)


# Values this request has already decoded, by full key, for the reads that ask to share them
# (``cached(..., share_in_request=True)``); None outside a request.
_request_values: ContextVar[dict[str, Any] | None] = ContextVar("request_values", default=None)


def _open_request_memo(**kwargs) -> None:
    _request_versions.set({})
    _request_values.set({})


def _close_request_memo(**kwargs) -> None:
    _request_versions.set(None)
    _request_values.set(None)


request_started.connect(_open_request_memo, dispatch_uid="versioned-cache-request-started")
request_finished.connect(_close_request_memo, dispatch_uid="versioned-cache-request-finished")


def _redis_client(backend: RedisCache) -> Any:
    """One redis-py client per cache backend (Django builds a new one, with its ~170 response
    callbacks, for every command; the connection pool underneath is the same)."""
    client = backend.__dict__.get("_versioned_cache_client")
    if client is None:
        client = backend.__dict__["_versioned_cache_client"] = backend._cache.get_client(None, write=True)
    return client


def _read_versions(keys: list[str]) -> list[Any]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # make_key, not make_and_validate_key: these keys are ours (short, no spaces), and checking
        # them character by character for memcached was a third of reading a 90-day range's versions.
        found = _redis_client(backend).mget([backend.make_key(key) for key in keys])
        return [None if value is None else backend._cache._serializer.loads(value) for value in found]
    values = backend.get_many(keys)
    return [values.get(key) for key in keys]


def versions(scopes: Iterable[str]) -> dict[str, int]:
    """The current version of each scope (0 for a scope never bumped; -1 when the cache is down)."""
    memo = _request_versions.get()
    wanted = list(dict.fromkeys(scopes))
    unread = wanted if memo is None else [scope for scope in wanted if scope not in memo]
    found: dict[str, int] = {}
    if unread:
        try:
            prefix = _version_key("")
            values = _read_versions([prefix + scope for scope in unread])
        except Exception:  # noqa: BLE001  (a cache outage must not stop bookings: read through)
            log.warning("Cache unavailable; reading through", exc_info=True)
            return {scope: -1 for scope in wanted}
        found = {scope: int(value or 0) for scope, value in zip(unread, values, strict=True)}
        if memo is not None:
            memo.update(found)
    if memo is None:
        return found
    return {scope: memo[scope] for scope in wanted}


def _bump_now(scopes: list[str]) -> None:
    memo = _request_versions.get()
    if memo is not None:
        for scope in scopes:  # read again (or set below): this request sees its own writes
            memo.pop(scope, None)
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip for every scope: INCR creates a missing version at 1 (Django's Redis cache
        # stores integers as they are, so ``get`` reads them back).
        try:
            keys = [backend.make_and_validate_key(_version_key(scope)) for scope in scopes]
            pipe = _redis_client(backend).pipeline()
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, VERSION_TIMEOUT_SECONDS)
            results = pipe.execute()
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable; could not bump %s", scopes, exc_info=True)
            return
        if memo is not None:
            memo.update({scope: int(value) for scope, value in zip(scopes, results[::2], strict=True)})
        return
    for scope in scopes:
        key = _version_key(scope)
        try:
            if cache.add(key, 1, VERSION_TIMEOUT_SECONDS):
                continue
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, VERSION_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable; could not bump %s", scope, exc_info=True)


def bump(*scopes: str) -> None:
    """Invalidate everything cached for these scopes, now and again when the transaction commits."""
    names = list(scopes)
    if not names:
        return
    _bump_now(names)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump_now(names))


def cached(
    scopes: Iterable[str],
    name: str,
    load: Callable[[], T],
    *,
    keep_local: bool = True,
    share_in_request: bool = False,
) -> T:
    """``load()``'s value, cached under ``name`` and the current versions of ``scopes``; ``keep_local``
    also keeps a copy in this process (leave it off for large values that change often).

    Each call returns a fresh copy, except with ``share_in_request``: then, within one web request,
    every call for the same versions returns the same object (decoded once). Only for values that
    no caller changes in place (a booking asks for the center's fixed input three times); a bump of
    one of the scopes in the request moves the key on, so the request still sees its own writes.
    """
    current = versions(scopes)
    if any(v < 0 for v in current.values()):
        return load()
    stamp = ",".join(f"{s}={v}" for s, v in sorted(current.items()))
    digest = hashlib.sha1(f"{name}|{stamp}".encode(), usedforsecurity=False).hexdigest()
    key = f"ic:{_database()}:c:{digest}"
    shared = _request_values.get() if share_in_request else None
    if shared is not None and key in shared:
        return shared[key]
    value = _read(key, load, keep_local=keep_local)
    if shared is not None:
        shared[key] = value
    return value


def _read(key: str, load: Callable[[], T], *, keep_local: bool) -> T:
    blob = _local.get(key)
    if blob is not None:  # this process already holds the value of these very versions
        return pickle.loads(blob)  # a fresh copy: threads never share the objects
    try:
        value = cache.get(key, _MISSING)
    except Exception:  # noqa: BLE001
        log.warning("Cache unavailable; reading through", exc_info=True)
        return load()
    if value is _MISSING:
        value = load()
        try:
            cache.set(key, value, TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable; value not stored", exc_info=True)
    if not keep_local:
        return value  # type: ignore[return-value]
    if len(_local) >= LOCAL_ENTRIES:
        _local.clear()
    _local[key] = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    return value  # type: ignore[return-value]


def cached_parts(name: str, parts: dict[str, list[str]], load: Callable[[list[str]], dict[str, T]]) -> dict[str, T]:
    """The value of each part of ``parts`` (part name → its scopes, which must follow from the name),
    kept together under the one entry ``name``, each stamped with the versions of its own scopes.

    For many small values of which a write changes a few (the board's readiness, per patient): a part
    whose stamp is still current is taken as it is, the others are loaded together (``load(names)``:
    one batch of queries) and the entry is written back. One round trip and one unpickling for all of
    them, where an entry per part cost a key and an unpickling each. A stamp is checked, never trusted:
    a part stored by a reader that raced a write carries that write's first version and fails the
    check once the write commits (``bump`` bumps twice), as with :func:`cached`.
    """
    current = versions(scope for scopes in parts.values() for scope in scopes)
    if any(v < 0 for v in current.values()):
        return load(list(parts))
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()
    key = f"ic:{_database()}:p:{digest}"
    try:
        stored = cache.get(key) or {}
    except Exception:  # noqa: BLE001
        log.warning("Cache unavailable; reading through", exc_info=True)
        return load(list(parts))
    stamps = {part: tuple(current[scope] for scope in scopes) for part, scopes in parts.items()}
    values: dict[str, T] = {}
    stale: list[str] = []
    for part, stamp in stamps.items():
        hit = stored.get(part)
        if hit is not None and hit[0] == stamp:
            values[part] = hit[1]
        else:
            stale.append(part)
    if stale:
        values |= load(stale)
        try:  # only the parts asked for now: parts no longer asked for drop out
            cache.set(key, {part: (stamps[part], values[part]) for part in parts}, TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable; value not stored", exc_info=True)
    return values


# Values by full key (versions included) kept in this process too, pickled: a hit then costs the one
# round trip that reads the versions, not a second one for the value.
LOCAL_ENTRIES = 512
_local: dict[str, bytes] = {}
