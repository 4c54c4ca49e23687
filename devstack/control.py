"""The secret that guards the runner's control API (`/_devstack/...`).

A new random token at each start, written to `<data-dir>/devstack-token` readable by its owner
only (0600), printed in the banner, and required in the `X-Devstack-Token` header. Any web page
a developer visits can send requests to 127.0.0.1; it cannot read this file, and a custom header
needs a CORS preflight the control API never grants. Standard library only: `python -m devstack
fire` reads it without importing the stack.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_HEADER = "X-Devstack-Token"
TOKEN_FILE = "devstack-token"


def token_path(data_dir: Path) -> Path:
    return Path(data_dir) / TOKEN_FILE


def write_new_token(data_dir: Path) -> str:
    """A fresh token in `<data-dir>/devstack-token` (0600, replaced atomically); returns it."""
    token = secrets.token_urlsafe(32)
    path = token_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask or a leftover file said
        os.write(fd, token.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return token


def read_token(data_dir: Path) -> str | None:
    try:
        return token_path(data_dir).read_text().strip() or None
    except OSError:
        return None
