"""The hub's signing keys (ES256, P-256): files in a mounted directory, rotated without downtime.

Layout of `keys_dir`: one `<created>-<kid>.jwk.json` per live key (private JWK, mode 0600); the
newest is the current signing key. Retired keys keep only their public JWK in `retired/`, so
signatures made long ago (audit checkpoints) stay verifiable while the private key is gone.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from hub.domain.clock import Clock, SystemClock
from hub.errors import ConfigError

ALGORITHM = "ES256"
CURVE = "P-256"
# A key stays published this long after it stopped signing: the longest token lifetime we issue
# (development tokens may ask for a day) plus the verifier's clock leeway.
DEFAULT_RETENTION_SECONDS = 24 * 3600 + 60
RELOAD_INTERVAL_SECONDS = 5.0
_SUFFIX = ".jwk.json"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    created_at: int  # epoch seconds
    key: ECKey

    def public_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=False), "kid": self.kid, "use": "sig", "alg": ALGORITHM}


class KeyStore:
    """Signing keys read from `keys_dir`; every replica reading the same mount agrees on them."""

    def __init__(
        self, keys_dir: Path, clock: Clock | None = None, retention_seconds: int | None = None
    ) -> None:
        self.keys_dir = Path(keys_dir)
        self.clock = clock or SystemClock()
        self.retention_seconds = retention_seconds or DEFAULT_RETENTION_SECONDS
        self._keys: list[SigningKey] = []  # oldest first; the last one signs
        self._public: dict[str, tuple[SigningKey, ECKey]] = {}
        self._listing: tuple[str, ...] = ()
        self._checked_at = 0.0

    @classmethod
    def load(
        cls,
        keys_dir: Path,
        create_if_missing: bool,
        *,
        clock: Clock | None = None,
        retention_seconds: int | None = None,
    ) -> KeyStore:
        """Read the keys; in development create the directory and a first key when absent."""
        store = cls(keys_dir, clock, retention_seconds)
        if not store.keys_dir.is_dir():
            if not create_if_missing:
                raise ConfigError(f"HUB_KEYS_DIR {str(keys_dir)!r} does not exist (mount the keys)")
            store.keys_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        store.reload()
        if not store._keys:
            if not create_if_missing:
                raise ConfigError(f"HUB_KEYS_DIR {str(keys_dir)!r} holds no signing key")
            store._write_new_key()
            store.reload()
        store._retire_expired()
        return store

    # -- reading -------------------------------------------------------------------------------

    def reload(self) -> bool:
        """Re-read the directory if its listing changed (another replica rotated); True if so."""
        self._checked_at = time.monotonic()
        try:
            paths = self.keys_dir.iterdir()
            names = tuple(sorted(p.name for p in paths if p.name.endswith(_SUFFIX)))
        except FileNotFoundError:
            names = ()
        if names == self._listing and self._keys:
            return False
        keys = [self._read(self.keys_dir / name) for name in names]
        self._keys = sorted((k for k in keys if k is not None), key=lambda k: (k.created_at, k.kid))
        self._listing = names
        return True

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._checked_at >= RELOAD_INTERVAL_SECONDS:
            self.reload()

    @staticmethod
    def _read(path: Path) -> SigningKey | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None  # a file being written or removed by another replica right now
        key = ECKey.import_key(data["jwk"])
        return SigningKey(kid=key.thumbprint(), created_at=int(data["created_at"]), key=key)

    # -- public surface ------------------------------------------------------------------------

    @property
    def current(self) -> SigningKey:
        self._maybe_reload()
        if not self._keys:
            raise ConfigError(f"HUB_KEYS_DIR {str(self.keys_dir)!r} holds no signing key")
        return self._keys[-1]

    @property
    def current_kid(self) -> str:
        return self.current.kid

    def kids(self) -> list[str]:
        self._maybe_reload()
        return [k.kid for k in self._keys]

    def public_key(self, kid: str) -> ECKey | None:
        """The public key for `kid` among live keys (no retired ones: they sign nothing valid)."""
        for k in self._keys:
            if k.kid == kid:
                # Importing a key costs more than verifying with it: once per key, not per token.
                cached = self._public.get(kid)
                if cached is None or cached[0] is not k:
                    cached = self._public[kid] = (k, ECKey.import_key(k.key.as_dict(private=False)))
                return cached[1]
        return None

    def jwks(self) -> dict[str, Any]:
        """Public keys of the current and still-needed previous keys, newest first."""
        self._maybe_reload()
        return {"keys": [k.public_jwk() for k in reversed(self._keys)]}

    def retired_jwks(self) -> dict[str, Any]:
        """Public keys that no longer verify tokens but still verify old audit checkpoints."""
        folder = self.keys_dir / "retired"
        keys = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            keys.append(json.loads(path.read_text(encoding="utf-8")))
        return {"keys": keys}

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        """A compact JWS over `claims` with the current key; `alg` and `kid` are always ours."""
        key = self.current
        protected = {**(header or {}), "alg": ALGORITHM, "kid": key.kid}
        return jwt.encode(protected, claims, key.key, algorithms=[ALGORITHM])

    def rotate(self) -> SigningKey:
        """Make a new current key; older keys stay published until their tokens have expired."""
        self._write_new_key()
        self.reload()
        self._retire_expired()
        return self._keys[-1]

    # -- writing -------------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _write_new_key(self) -> None:
        key = ECKey.generate_key(CURVE, private=True)
        created = self._now()
        # Never two keys with one timestamp: ordering by created_at decides which one signs.
        if self._keys and created <= self._keys[-1].created_at:
            created = self._keys[-1].created_at + 1
        body = {"created_at": created, "jwk": key.as_dict(private=True)}
        stamp = datetime.fromtimestamp(created, UTC).strftime("%Y%m%dT%H%M%S")
        _write_atomic(self.keys_dir / f"{stamp}-{key.thumbprint()}{_SUFFIX}", body, 0o600)

    def _retire_expired(self) -> None:
        """Drop private keys whose successor took over longer ago than the retention period."""
        now = self._now()
        retired = False
        for older, newer in zip(self._keys, self._keys[1:], strict=False):
            if newer.created_at + self.retention_seconds < now:
                folder = self.keys_dir / "retired"
                folder.mkdir(mode=0o700, exist_ok=True)
                _write_atomic(folder / f"{older.kid}.json", older.public_jwk(), 0o644)
                for path in self.keys_dir.glob(f"*-{older.kid}{_SUFFIX}"):
                    path.unlink(missing_ok=True)
                retired = True
        if retired:
            self.reload()


def _write_atomic(path: Path, body: dict[str, Any], mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
