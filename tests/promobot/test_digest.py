"""The digest of a version's files (promobot/digest.py): order, contents, names and
sizes count; files are streamed."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

from promobot.digest import CHUNK, DOWNLOAD_ONLY_FILES, artifact_digest

EMPTY = "sha256:" + hashlib.sha256(b"").hexdigest()


def fill(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


FILES = {"MLmodel": b"flavors: {}\n", "model.pkl": b"\x80\x04weights", "sub/dir/x.txt": b"x"}


def test_the_definition_byte_for_byte(tmp_path: Path) -> None:
    fill(tmp_path, {"b": b"22", "a/c": b"1"})
    expected = hashlib.sha256()
    for name, content in ((b"a/c", b"1"), (b"b", b"22")):
        expected.update(name + b"\0" + len(content).to_bytes(8, "big") + content)
    assert artifact_digest(tmp_path) == "sha256:" + expected.hexdigest()


def test_an_empty_folder_is_the_digest_of_nothing(tmp_path: Path) -> None:
    assert artifact_digest(tmp_path) == EMPTY
    (tmp_path / "only" / "folders").mkdir(parents=True)
    assert artifact_digest(tmp_path) == EMPTY


def test_the_order_files_were_made_in_does_not_count(tmp_path: Path) -> None:
    one = fill(tmp_path / "one", FILES)
    two = fill(tmp_path / "two", dict(reversed(FILES.items())))
    assert artifact_digest(one) == artifact_digest(two)


def test_one_changed_byte_changes_it(tmp_path: Path) -> None:
    root = fill(tmp_path, FILES)
    before = artifact_digest(root)
    (root / "model.pkl").write_bytes(b"\x80\x04weightz")
    assert artifact_digest(root) != before


def test_a_renamed_file_changes_it(tmp_path: Path) -> None:
    root = fill(tmp_path, FILES)
    before = artifact_digest(root)
    (root / "model.pkl").rename(root / "model2.pkl")
    assert artifact_digest(root) != before


def test_a_byte_moved_between_files_changes_it(tmp_path: Path) -> None:
    # Without the size in the framing, "ab"+"c" and "a"+"bc" would hash alike.
    one = fill(tmp_path / "one", {"a": b"ab", "b": b"c"})
    two = fill(tmp_path / "two", {"a": b"a", "b": b"bc"})
    assert artifact_digest(one) != artifact_digest(two)


def test_links_to_files_are_followed_links_to_folders_are_not(tmp_path: Path) -> None:
    plain = fill(tmp_path / "plain", {"model.pkl": b"weights"})
    linked = tmp_path / "linked"
    linked.mkdir()
    (tmp_path / "elsewhere.pkl").write_bytes(b"weights")
    (linked / "model.pkl").symlink_to(tmp_path / "elsewhere.pkl")
    (linked / "loop").symlink_to(linked)  # a folder link: not walked
    (linked / "dangling").symlink_to(tmp_path / "gone")
    assert artifact_digest(linked) == artifact_digest(plain)


def test_excluded_names_are_left_out(tmp_path: Path) -> None:
    root = fill(tmp_path, FILES)
    before = artifact_digest(root)
    (root / "registered_model_meta").write_text("model_name: m\nmodel_version: '3'\n")
    assert artifact_digest(root) != before
    assert artifact_digest(root, exclude=DOWNLOAD_ONLY_FILES) == before


def test_a_50_mb_file_is_streamed(tmp_path: Path) -> None:
    big = tmp_path / "weights.bin"
    with open(big, "wb") as handle:  # sparse: quick to make, 50 MB to read
        handle.truncate(50 * 1024 * 1024)
    expected = hashlib.sha256(b"weights.bin\0" + (50 * 1024 * 1024).to_bytes(8, "big"))
    with open(big, "rb") as handle:
        while chunk := handle.read(CHUNK):
            expected.update(chunk)
    tracemalloc.start()
    try:
        found = artifact_digest(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == "sha256:" + expected.hexdigest()
    assert peak < 8 * CHUNK, f"{peak} bytes at once: the file was not streamed"
    assert os.path.getsize(big) == 50 * 1024 * 1024
