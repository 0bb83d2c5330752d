"""The lock of one target, on the one atomic primitive MLflow offers.

Creating a registered model whose name exists fails for every concurrent caller but
one, and the tags given at creation land with it, so the lock (`promobot-lock.<bucket>`,
bot/core/state/keys.py) carries its owner and expiry. A lock past its expiry was left by a
crashed process and is taken over. Only the gateway (bot/adapters/mlflow/gateway.py) uses this
module.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from bot.core.ports.registry import MutexBusy, RegistryError
from bot.core.state import keys


class _Gateway(Protocol):
    """What the lock needs of the gateway (bot/adapters/mlflow/gateway.py)."""

    @property
    def rc(self) -> Any: ...
    def calls(self, what: str) -> AbstractContextManager[None]: ...
    def missing(self, exc: Exception) -> bool: ...


# How long a failed command still waits for its lock to be released (see _release_briefly).
_RELEASE_WAIT_S = 5.0
# A lock this far from its expiry is certainly still its owner's (clocks may differ).
_RELEASE_MARGIN_S = 15.0
# Codes the SQL store answers a lost create with: someone else holds it, or the winner
# released it between its create and our read (then the lock is free again).
_LOST_CREATE = ("RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST")


class ExecutionMutex:
    """Take, hold, take over and release target locks through one gateway."""

    def __init__(self, gateway: _Gateway, *, ttl_s: float, wait_s: float) -> None:
        self.gateway = gateway
        self.ttl_s = ttl_s
        self.wait_s = wait_s

    @contextmanager
    def hold(
        self, bucket: str, model: str, target_key: str, wait_s: float | None = None
    ) -> Iterator[str]:
        """Hold the lock named by `bucket` while the block runs; `model` and `target_key`
        describe it in messages and on the lock model. Yields the owner id. `wait_s`:
        how long another holder is waited for (None: this mutex's wait)."""
        name = keys.lock_model_name(bucket)
        what = f"{model} {target_key}".strip()
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        wait = self.wait_s if wait_s is None else wait_s
        expires = self._take(name, owner, what, (model, target_key), wait)
        try:
            yield owner
        except RegistryError as exc:
            if exc.kind == "unavailable":
                self._release_briefly(name, owner)
            else:
                self._release(name, owner)
            raise
        except BaseException:
            self._release(name, owner)
            raise
        if time.time() < expires - _RELEASE_MARGIN_S:
            # Well before its expiry nobody may take our lock over, so it is still ours:
            # delete it without reading it first (one REST call less per command).
            self._delete_lock_model(name)
        else:
            self._release(name, owner)

    def _take(
        self, name: str, owner: str, what: str, described: tuple[str, str], wait_s: float
    ) -> float:
        """Wait for the lock and take it; returns its expiry (epoch seconds)."""
        deadline = time.monotonic() + wait_s
        delay = 0.05
        while True:
            expires = time.time() + self.ttl_s
            if self._create(name, owner, expires, described):
                return expires
            holder = self._lock_holder(name, self.ttl_s)
            if holder is not None and holder[0] == owner:
                # The client retried a create whose first answer was lost: the lock is ours.
                return expires
            if holder is not None and holder[1] < time.time() and self._break_lock(name, holder):
                continue
            if time.monotonic() > deadline:
                who = holder[0] if holder else "another process"
                raise MutexBusy(
                    f"another promotion of {what} is in progress ({who}); try again in a minute",
                    holder=who,
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _create(self, name: str, owner: str, expires: float, described: tuple[str, str]) -> bool:
        from mlflow.exceptions import MlflowException

        model, target_key = described
        with self.gateway.calls(f"take the lock for {model} {target_key}".strip()):
            try:
                self.gateway.rc.create_registered_model(
                    name,
                    tags={
                        keys.LOCK_OWNER_TAG: owner,
                        keys.LOCK_EXPIRES_TAG: f"{expires:.3f}",
                        keys.LOCK_MODEL_TAG: model[:5000],
                        keys.LOCK_TARGET_TAG: target_key,
                    },
                    description=f"promobot lock for {model} {target_key}".strip()
                    + "; deleted when the promotion ends",
                )
            except MlflowException as exc:
                if exc.error_code not in _LOST_CREATE:
                    raise
                return False
        return True

    def _release_briefly(self, name: str, owner: str) -> None:
        """MLflow stopped answering mid-way: try to let go of the lock, but do not keep the
        person waiting another full round of timeouts for a server that may not answer;
        if the release does not land, the lock's expiry recovers it."""
        releaser = threading.Thread(target=self._release, args=(name, owner), daemon=True)
        releaser.start()
        releaser.join(_RELEASE_WAIT_S)

    def _lock_holder(
        self, name: str, ttl_s: float | None = None
    ) -> tuple[str, float, float] | None:
        """(owner, expiry, creation time) of a lock. Any MLflow user may create a
        registered model, so the expiry tag is not trusted beyond the server's creation
        time plus our TTL: a lock planted with an expiry in the far future still expires."""
        rm = self._read(name)
        if rm is None:
            return None
        tags = rm.tags or {}
        try:
            expires = float(tags.get(keys.LOCK_EXPIRES_TAG, "0"))
        except ValueError:
            expires = 0.0
        created = (getattr(rm, "creation_timestamp", None) or 0) / 1000
        if ttl_s is not None and created:
            expires = min(expires, created + ttl_s)
        return tags.get(keys.LOCK_OWNER_TAG, "?"), expires, created

    def _read(self, name: str) -> Any:
        from mlflow.exceptions import MlflowException

        with self.gateway.calls("read a lock"):
            try:
                return self.gateway.rc.get_registered_model(name)
            except MlflowException as exc:
                if self.gateway.missing(exc):
                    return None
                raise

    def _break_lock(self, name: str, seen: tuple[str, float, float]) -> bool:
        """Delete a stale lock, but only the one we saw, and only once. Every process that
        saw it expire races to create a marker named after that lock (owner, creation
        time, and the TTL-long window we are in, so that a breaker that died half way is
        replaced in the next window); only the one that creates it deletes the lock.
        Otherwise a process that read the stale lock just before another took it over
        could delete the new one. The marker stays, as a record of the takeover.
        True when this process deleted the lock (or it was already gone)."""
        from mlflow.exceptions import MlflowException

        seen_owner = seen[0]
        window = int(time.time() // max(self.ttl_s, 1.0))
        identity = f"{seen_owner}\0{seen[2]:.3f}\0{window}".encode("utf-8", "surrogatepass")
        marker = f"{name}.broken-{hashlib.sha1(identity).hexdigest()[:12]}"
        with self.gateway.calls("take over a stale lock"):
            try:
                self.gateway.rc.create_registered_model(
                    marker,
                    tags={keys.LOCK_BROKEN_TAG: seen_owner[:5000]},
                    description=f"promobot took over the lock {name} left by {seen_owner[:200]}",
                )
            except MlflowException as exc:
                if exc.error_code in _LOST_CREATE:
                    return False  # another process is taking it over
                raise
        holder = self._lock_holder(name)
        if holder is None:
            return True
        if holder[0] != seen_owner:
            return False
        self._delete_lock_model(name)
        return True

    def _release(self, name: str, owner: str) -> None:
        try:
            holder = self._lock_holder(name)
            if holder is not None and holder[0] == owner:
                self._delete_lock_model(name)
        except RegistryError:
            pass  # the expiry recovers a lock we could not delete

    def _delete_lock_model(self, name: str) -> None:
        from mlflow.exceptions import MlflowException

        with self.gateway.calls("release a lock"):
            try:
                self.gateway.rc.delete_registered_model(name)
            except MlflowException as exc:
                if not self.gateway.missing(exc):
                    raise
