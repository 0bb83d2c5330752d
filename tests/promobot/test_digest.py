"""The digest of a version's files (promobot/digest.py): order, contents, names and
sizes count; files are streamed; fed while other threads write the files, it is the
digest of the folder they make."""

from __future__ import annotations

import hashlib
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from promobot.digest import (
    CHUNK,
    DOWNLOAD_ONLY_FILES,
    Arrivals,
    Arriving,
    Stopped,
    artifact_digest,
    digest_as_written,
    holds_exactly,
    name_bytes,
)

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


# ---- fed as the files are written ---------------------------------------------------------

WRITTEN = {
    "MLmodel": b"flavors: {}\n",
    "artifacts/deep/weights.bin": os.urandom(3 * CHUNK + 5),  # several chunks, one short
    "artifacts/empty": b"",
    "ü.txt": b"a name not in ASCII",
}


def arriving(root: Path, sizes: dict[str, int | None]) -> dict[str, Arriving]:
    return {rel: Arriving(name_bytes(rel), size, root / rel) for rel, size in sizes.items()}


def write(arrivals: Arrivals, file: Arriving, content: bytes, piece: int = 4099) -> None:
    """What a download does: the file written piece by piece, each announced."""
    try:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        with open(file.path, "wb") as out:
            for start in range(0, len(content), piece):
                out.write(content[start : start + piece])
                out.flush()
                arrivals.wrote(file, len(content[start : start + piece]))
        arrivals.wrote(file, 0, done=True)
    except Stopped:
        pass
    except BaseException as exc:
        arrivals.fail(exc)


def written_at_once(files: dict[str, Arriving], contents: dict[str, bytes]) -> str | None:
    """digest_as_written while a thread per file writes it (the last in order first)."""
    arrivals = Arrivals()
    threads = [
        threading.Thread(target=write, args=(arrivals, files[rel], contents[rel]))
        for rel in sorted(files, reverse=True)
    ]
    for thread in threads:
        thread.start()
    try:
        return digest_as_written(list(files.values()), arrivals)
    finally:
        arrivals.fail(RuntimeError("the test is over"))  # stops any writer left
        for thread in threads:
            thread.join(timeout=10)


def test_fed_as_written_it_is_the_folders_digest(tmp_path: Path) -> None:
    root = tmp_path / "written"
    files = arriving(root, {rel: len(content) for rel, content in WRITTEN.items()})
    found = written_at_once(files, WRITTEN)
    assert found == artifact_digest(root)
    assert found == artifact_digest(fill(tmp_path / "at-once", WRITTEN))
    assert holds_exactly(root, list(files.values()), exclude=())


def test_without_sizes_each_file_is_hashed_once_it_is_whole(tmp_path: Path) -> None:
    files = arriving(tmp_path / "written", dict.fromkeys(WRITTEN))
    assert written_at_once(files, WRITTEN) == artifact_digest(fill(tmp_path / "x", WRITTEN))


@pytest.mark.parametrize("off_by", [-1, 1])
def test_a_file_not_of_its_framed_size_gives_none(tmp_path: Path, off_by: int) -> None:
    sizes: dict[str, int | None] = {rel: len(content) for rel, content in WRITTEN.items()}
    sizes["artifacts/deep/weights.bin"] = len(WRITTEN["artifacts/deep/weights.bin"]) + off_by
    assert written_at_once(arriving(tmp_path, sizes), WRITTEN) is None


def test_a_folder_holding_another_file_is_not_the_one_fed(tmp_path: Path) -> None:
    files = arriving(tmp_path, {rel: len(content) for rel, content in WRITTEN.items()})
    assert written_at_once(files, WRITTEN) is not None
    (tmp_path / "extra").write_bytes(b"")
    assert not holds_exactly(tmp_path, list(files.values()), exclude=())
    (tmp_path / "extra").rename(tmp_path / "registered_model_meta")
    assert holds_exactly(tmp_path, list(files.values()), exclude=DOWNLOAD_ONLY_FILES)


def test_a_writers_failure_is_raised_and_stops_the_others(tmp_path: Path) -> None:
    arrivals = Arrivals()
    files = arriving(tmp_path, {"a": 10, "b": 10})
    files["a"].path.write_bytes(b"12345")
    arrivals.wrote(files["a"], 5)
    arrivals.fail(ConnectionResetError("the server went away"))
    with pytest.raises(ConnectionResetError, match="went away"):
        digest_as_written(list(files.values()), arrivals)
    with pytest.raises(Stopped):
        arrivals.wrote(files["b"], 1)
