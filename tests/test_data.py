"""Loading image folders the way the articles do, including messy ones."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import make_image_folder, make_train_test
from search.data.sources import Digits, ImageFolder, TrainTestFolders
from rundir.errors import SweepError
from search.data.images import SkippedFileWarning


def skipped_messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, SkippedFileWarning)]


def test_image_folder_split_sizes_dtype_and_classes(image_folder):
    data = ImageFolder(image_folder, validation_split=0.2, seed=123).load(16)
    assert data.class_names == ["cats", "dogs"]
    assert data.x_train.dtype == np.uint8 and data.x_train.shape == (16, 16, 16, 3)
    assert data.x_val.shape == (4, 16, 16, 3)
    assert len(data.val_paths) == 4 and all(Path(p).exists() for p in data.val_paths)
    counts = data.class_counts()
    assert sum(c["train"] + c["val"] for c in counts.values()) == 20


def test_split_is_the_same_every_time(image_folder):
    a = ImageFolder(image_folder, seed=7).load(16)
    b = ImageFolder(image_folder, seed=7).load(16)
    assert a.val_paths == b.val_paths
    assert np.array_equal(a.x_val, b.x_val)


def test_split_matches_keras_image_dataset_from_directory(image_folder):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("image_dataset_from_directory needs the TensorFlow backend")
    val = keras.utils.image_dataset_from_directory(
        image_folder, validation_split=0.2, subset="validation", seed=123, image_size=(16, 16)
    )
    ours = ImageFolder(image_folder, validation_split=0.2, seed=123).load(16)
    assert ours.val_paths == list(val.file_paths)


def test_train_test_layout(tmp_path):
    root = make_train_test(tmp_path / "sneakers", train=6, test=3)
    data = TrainTestFolders(root).load(16)
    assert data.class_names == ["adidas", "nike"]
    assert len(data.y_train) == 12 and len(data.y_val) == 6
    assert all("/test/" in p for p in data.val_paths)


def test_grayscale_color_mode(image_folder):
    data = ImageFolder(image_folder, color_mode="grayscale").load(12)
    assert data.input_shape == (12, 12, 1)


def test_bad_files_are_skipped_with_one_warning_each(image_folder):
    cats = image_folder / "cats"
    (cats / "test.txt").write_text("not an image")
    (cats / "empty.jpg").write_bytes(b"")
    good = (cats / "img_000.png").read_bytes()
    (cats / "truncated.png").write_bytes(good[: len(good) // 2])
    (cats / "notreally.jpg").write_text("plain text with an image extension")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = ImageFolder(image_folder).load(16)
    messages = skipped_messages(record)
    assert len(messages) == 4
    for name in ("test.txt", "empty.jpg", "truncated.png", "notreally.jpg"):
        assert sum(name in m for m in messages) == 1, (name, messages)
    assert len(data.y_train) + len(data.y_val) == 20


def test_unusual_but_valid_images_load(tmp_path):
    root = make_image_folder(tmp_path / "mixed", per_class=4, size=20)
    Image.new("L", (30, 20), 128).save(root / "a" / "gray.png")
    Image.new("CMYK", (20, 20), (10, 20, 30, 40)).save(root / "a" / "cmyk.jpg")
    Image.fromarray(np.full((20, 20), 40000, dtype=np.uint16)).save(root / "b" / "deep16.png")
    Image.new("P", (20, 20), 3).save(root / "b" / "palette.gif")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = ImageFolder(root, validation_split=0.25).load(16)
    assert skipped_messages(record) == []
    assert len(data.y_train) + len(data.y_val) == 12
    # A 16-bit PNG is scaled, not clipped to white: 40000/65535 of full scale.
    index = [i for i, p in enumerate(data.val_paths) if p.endswith("deep16.png")]
    images = np.concatenate([data.x_train, data.x_val])
    assert images.min() >= 0 and images.max() <= 255
    if index:
        assert abs(int(data.x_val[index[0]].mean()) - 155) <= 2


def test_missing_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(SweepError, match=r"data folder .*nowhere does not exist"):
        ImageFolder(tmp_path / "nowhere").load(16)


def test_data_path_that_is_a_file(tmp_path):
    file = tmp_path / "data.txt"
    file.write_text("x")
    with pytest.raises(SweepError, match="is a file, not a folder"):
        ImageFolder(file).load(16)


def test_empty_class_folder_is_a_one_line_error(image_folder):
    (image_folder / "empty_class").mkdir()
    with pytest.raises(SweepError, match=r"class folder .*empty_class is empty"):
        ImageFolder(image_folder).load(16)


def test_class_folder_with_only_bad_files(image_folder):
    bad = image_folder / "broken"
    bad.mkdir()
    (bad / "x.jpg").write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SweepError, match=r"class folder .*broken has no readable images"):
            ImageFolder(image_folder).load(16)


def test_folder_without_class_subfolders(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "flat" / "x.png")
    with pytest.raises(SweepError, match="has no class sub-folders"):
        ImageFolder(tmp_path / "flat").load(16)


def test_train_test_missing_test_folder(tmp_path):
    make_image_folder(tmp_path / "s" / "train")
    with pytest.raises(SweepError, match="has no test/ sub-folder"):
        TrainTestFolders(tmp_path / "s").load(16)


def test_digits_ship_with_scikit_learn():
    data = Digits().load(16)
    assert data.num_classes == 10 and data.input_shape == (16, 16, 1)
    assert data.x_train.dtype == np.uint8 and data.x_train.max() > 200


def test_cifar10_offline_message(offline):
    from search.data.sources import Cifar10

    with pytest.raises(SweepError, match=r"CIFAR-10 needs a download .* pass --data PATH"):
        Cifar10().load(32)


def test_cifar10_offline_is_described_without_its_data(offline, capsys):
    """The sweep cannot run offline, but --describe can still say what it would do."""
    from conftest import ROOT
    from search.run import main

    assert main([str(ROOT / "sweeps" / "cifar10.py"), "--describe", "--max-trials", "2"]) == 0
    out = capsys.readouterr().out
    assert "keras.datasets.cifar10 (downloaded once, then cached in ~/.keras): not on this machine" in out
    assert "Cifar10CNN (article 002), " in out
