"""Image folders with traps: symlink loops, broken links, huge images, wrong extensions.

Each must load (the trap skipped with one warning naming it) or fail with a
one-line SweepError; none may hang or crash with a traceback. Plain bad
files (text, empty, truncated, text named .jpg) are in test_data.py.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import make_image_folder
from search.data.sources import ImageFolder
from search.data.images import SkippedFileWarning


def load_with_warnings(root: Path, size: int = 16, timeout_s: float = 60) -> tuple:
    """Load `root` in a thread, so that a hang fails the test instead of stalling it."""
    result: dict = {}

    def load():
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            try:
                result["data"] = ImageFolder(root, validation_split=0.25).load(size)
            except BaseException as exc:  # re-raised below, in the test's thread
                result["error"] = exc
        result["warnings"] = [(w.category, str(w.message)) for w in record]

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), f"loading {root} hangs"
    if "error" in result:
        raise result["error"]
    return result["data"], result["warnings"]


@pytest.fixture
def folder(tmp_path) -> Path:
    return make_image_folder(tmp_path / "images", classes=("a", "b"), per_class=6, size=16)


def test_symlink_loop_inside_a_class_folder(folder):
    os.symlink(folder / "a", folder / "a" / "loop")
    os.symlink(folder, folder / "b" / "up")
    data, caught = load_with_warnings(folder)
    assert data.class_names == ["a", "b"]
    assert len(data.y_train) + len(data.y_val) == 12
    assert len(caught) <= 1, caught


def test_class_folder_linking_back_to_the_data_folder(folder):
    """Without the check it became a third class holding every image again."""
    os.symlink(folder, folder / "c_loop")
    data, caught = load_with_warnings(folder)
    assert data.class_names == ["a", "b"]
    assert len(data.y_train) + len(data.y_val) == 12
    assert len(caught) == 1 and caught[0][0] is SkippedFileWarning, caught
    assert "c_loop" in caught[0][1] and "loop" in caught[0][1]


def test_broken_and_looping_file_symlinks_are_skipped(folder):
    """These crashed the loader with FileNotFoundError / OSError (ELOOP) from a worker thread."""
    os.symlink(folder / "a" / "gone.png", folder / "a" / "dangling.png")
    os.symlink("self.png", folder / "b" / "self.png")
    data, caught = load_with_warnings(folder)
    assert len(data.y_train) + len(data.y_val) == 12
    assert len(caught) == 2, caught
    for name in ("dangling.png", "self.png"):
        (message,) = [m for _, m in caught if name in m]
        assert "broken symbolic link" in message


def test_huge_mostly_empty_png_is_skipped_past_the_bound_and_loads_resized_under_a_raised_one(folder, monkeypatch):
    """12000 x 12000 (144 MP): a small file that decodes to 144 MB. Past the default bound of 100 MP it is
    skipped with one warning; with SEARCH_MAX_IMAGE_PIXELS raised it loads."""
    big = Image.new("L", (12_000, 12_000))
    ImageDraw.Draw(big).rectangle([0, 0, 11_999, 2_999], fill=200)  # top quarter bright
    path = folder / "a" / "huge.png"
    big.save(path)
    del big
    assert path.stat().st_size < 1_000_000
    data, caught = load_with_warnings(folder)
    assert len(data.y_train) + len(data.y_val) == 12
    assert len(caught) == 1 and "huge.png" in caught[0][1] and "144 megapixels" in caught[0][1]
    monkeypatch.setenv("SEARCH_MAX_IMAGE_PIXELS", "150000000")
    data, caught = load_with_warnings(folder)
    assert caught == []
    assert len(data.y_train) + len(data.y_val) == 13
    # Resized, not cropped: bright top rows, black bottom rows (the others are noise).
    images = np.concatenate([data.x_train, data.x_val])
    assert sum(1 for img in images if img[:3].min() > 150 and img[-3:].max() < 10) == 1


def test_images_over_the_pixel_limit_are_skipped_with_one_warning(folder, monkeypatch):
    """PIL only warns between its limit and twice it, then decodes anyway
    (the warning did not name the file); past twice it raises. Both skip."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    Image.new("RGB", (120, 100)).save(folder / "a" / "slightly_big.png")  # 1.2 x the limit: PIL's warning band
    Image.new("RGB", (300, 300)).save(folder / "b" / "very_big.png")  # 9 x: PIL's error
    data, caught = load_with_warnings(folder)
    assert len(data.y_train) + len(data.y_val) == 12
    assert [c for c, _ in caught] == [SkippedFileWarning, SkippedFileWarning], caught
    for name in ("slightly_big.png", "very_big.png"):
        (message,) = [m for _, m in caught if name in m]
        assert "image too large" in message


def test_image_with_the_wrong_extension_loads(folder):
    """PIL reads the content, not the name: a PNG named .jpg and a JPEG named .png load
    (a text file with an image extension is skipped: test_data.py)."""
    Image.new("RGB", (16, 16), (250, 0, 0)).save(folder / "a" / "really_png.jpg", format="PNG")
    Image.new("RGB", (16, 16), (0, 250, 0)).save(folder / "b" / "really_jpeg.png", format="JPEG")
    data, caught = load_with_warnings(folder)
    assert caught == []
    assert len(data.y_train) + len(data.y_val) == 14


def test_the_images_are_held_once_training_and_validation_views_of_one_array(folder):
    """Issue 40: the split (and the folds' pool) index one decoded array instead of copying it."""
    from search.data.folds import pooled

    (folder / "b" / "bad.png").write_text("not an image")  # a skipped file: the kept rows move up in place
    data, _ = load_with_warnings(folder)
    assert data.x_train.base is data.x_val.base is not None
    pool = pooled(data).x_val
    assert pool.base is data.x_train.base and np.array_equal(pool, np.concatenate([data.x_train, data.x_val]))
    # The same images, in the same places, as indexing a fresh decode by Keras' shuffled split.
    with pytest.warns(SkippedFileWarning, match="bad.png"):
        again = ImageFolder(folder, validation_split=0.25).load(16)
    assert np.array_equal(again.x_train, data.x_train) and np.array_equal(again.x_val, data.x_val)
    from search.data.images import decode_files, reorder_rows

    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2, 1)
    order = np.array([3, 0, 4, 1, 2])
    assert np.array_equal(reorder_rows(images.copy(), order), images[order])
    paths = sorted(p for p in (folder / "b").iterdir())
    with pytest.warns(SkippedFileWarning, match="bad.png"):
        decoded = decode_files(paths, 16, 3)
    assert decoded.kept == [i for i, p in enumerate(paths) if p.name != "bad.png"]
    assert np.array_equal(decoded.images, np.stack([decode_files([paths[i]], 16, 3).images[0] for i in decoded.kept]))


def test_images_that_cannot_fit_in_free_memory_are_one_error_before_decoding(folder, monkeypatch):
    from rundir.errors import SweepError
    from search.data import images

    monkeypatch.setattr(images, "available_memory", lambda: 5_000)  # 12 images at 16x16x3 take 9,216 bytes
    monkeypatch.setattr(images, "decode_file", lambda *a: pytest.fail("decoded although it cannot fit"))
    with pytest.raises(SweepError, match=rf"data folder {folder}: 12 images at 16x16x3 would take 9.2 kB decoded, "
                                         r"more than the 5.0 kB of memory free now: lower image_size"):
        ImageFolder(folder, validation_split=0.25).load(16)


def test_running_out_of_memory_while_loading_is_one_line(folder, tmp_path, monkeypatch, capsys):
    from conftest import write_sweep
    from search.data import sources
    from search.run import main

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 9.2 GiB for an array")

    monkeypatch.setattr(sources, "decode_files", out_of_memory)
    sweep = write_sweep(tmp_path / "oom.py", f"sweep = Sweep(name='oom', data=ImageFolder({str(folder)!r}), "
                                             "hypermodel=DigitsCNN, image_size=16, epochs=1)\n")
    assert main([str(sweep), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: out of memory while loading the images of {folder} (validation split 0.2, seed 123) "
                   "at 16 px: lower image_size, use fewer images, or free memory"]
    assert not (tmp_path / "run" / "sweep.json").exists()
