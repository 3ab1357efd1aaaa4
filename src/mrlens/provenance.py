"""Where a result came from: a hash of the settings that made it, package versions, git commit."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "mrlens",
    "torch",
    "transformers",
    "sentence-transformers",
    "numpy",
    "pyarrow",
    "pandas",
    "snakemake",
)


def settings_hash(settings: Any) -> str:
    """First 16 hex digits of SHA-256 over the canonical JSON of ``settings``."""
    canonical = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(folder: str | Path) -> str | None:
    """The commit checked out in ``folder`` (with ``-dirty`` when files changed), or None outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance(config: Mapping[str, Any], workflow_dir: str | Path) -> dict[str, Any]:
    return {
        "config_hash": settings_hash(config),
        "config": dict(config),
        "git_commit": git_commit(workflow_dir),
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
