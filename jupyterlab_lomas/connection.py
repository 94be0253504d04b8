"""The connection to the Lomas server: one file, shared with the notebook library.

The notebook library (kernel-lib/src/client/config.ts) reads the server URL and the API key from
`$LOMAS_CONFIG`, by default `~/.lomas/config.json` (`{"url": ..., "token": ...}`), after the
environment variables LOMAS_URL and LOMAS_API_KEY. This module reads them in the same order, so
the JupyterLab side panel and the notebooks always use the same server and key, and it writes the
file when the user signs in from JupyterLab: private to the user (0600 in a 0700 directory),
written whole to a temporary file and renamed, so a reader never sees half a key.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit


class ConnectionProblem(Exception):
    """A refused sign-in or sign-out, with the advice to show (HTTP status and error code)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def config_path() -> Path:
    """The file the notebook library reads: $LOMAS_CONFIG, else ~/.lomas/config.json."""
    configured = os.environ.get("LOMAS_CONFIG")
    return Path(configured) if configured else Path.home() / ".lomas" / "config.json"


def read_file(path: Optional[Path] = None) -> dict:
    """The config file's object; {} when it is missing or not a JSON object (as the library does)."""
    try:
        data = json.loads((path or config_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Connection:
    """Where the kernels' Lomas calls go, and with which key (never shown to the browser)."""

    url: Optional[str]
    token: Optional[str]
    # "environment" when LOMAS_URL or LOMAS_API_KEY is set (they win over the file), else "file".
    source: str
    config_file: Path

    @property
    def signed_in(self) -> bool:
        return bool(self.url and self.token)


def environment_overrides() -> list[str]:
    """The variables that make the kernels ignore the config file."""
    return [name for name in ("LOMAS_URL", "LOMAS_API_KEY") if os.environ.get(name)]


def current() -> Connection:
    """URL and key as a kernel started by this Jupyter server resolves them: environment, then file."""
    path = config_path()
    stored = read_file(path)
    url = os.environ.get("LOMAS_URL") or _text(stored.get("url"))
    token = os.environ.get("LOMAS_API_KEY") or _text(stored.get("token"))
    source = "environment" if environment_overrides() else "file"
    return Connection(url=normalize_url(url) if url else None, token=token, source=source, config_file=path)


def _text(value: object) -> Optional[str]:
    return value.strip() if isinstance(value, str) and value.strip() else None


def normalize_url(url: str) -> str:
    """http(s)://host[:port][/path], without a trailing slash; anything else is refused."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionProblem(
            400,
            "INVALID_PARAMETER",
            f'"{text}" is not a server URL. Give the Lomas server\'s address, for example http://127.0.0.1:8765.',
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConnectionProblem(
            400,
            "INVALID_PARAMETER",
            "The server URL must not contain a user name, password, query or fragment: the API key goes in its own field.",
        )
    return text.rstrip("/")


def refuse_if_environment(action: str) -> None:
    """Signing in or out here would not reach the kernels while the environment overrides the file."""
    names = environment_overrides()
    if names:
        raise ConnectionProblem(
            409,
            "CONFLICT",
            f"Cannot {action} here: {' and '.join(names)} {'is' if len(names) == 1 else 'are'} set in the "
            f"environment JupyterLab was started with, and kernels use {'it' if len(names) == 1 else 'them'} "
            f"before {config_path()}. Unset {' and '.join(names)} and restart JupyterLab, then sign in again.",
        )


def write_file(updates: dict, remove: tuple[str, ...] = ()) -> Path:
    """Merges `updates` into the config file (other fields kept), 0600 in a 0700 directory, atomically."""
    path = config_path()
    data = read_file(path)
    data.update(updates)
    for key in remove:
        data.pop(key, None)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.chmod(path, 0o600)
    return path
