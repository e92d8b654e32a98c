"""Fashion-MNIST from its IDX files: tiny files of our own, and the Debian package's where it is installed."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, write_sweep
from rundir.errors import SweepError
from search.data import fashion_mnist
from search.data.fashion_mnist import CLASSES, DEBIAN_FOLDER, SHOES, FashionMNIST, read_idx
from search.data.sources import DataNotFound
from search.run import main


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fashion(folder: Path, per_class: int = 4, test_per_class: int = 2, gz: bool = True) -> Path:
    """The four IDX files, each class's images filled with its own number (so a test can see which is which)."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", per_class), ("t10k", test_per_class)):
        labels = np.repeat(np.arange(10), n)
        images = np.repeat(labels[:, None, None], 28, axis=1).repeat(28, axis=2) * 20
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(array)
            name = folder / f"{split}-{kind}-ubyte"
            if gz:
                (name.parent / f"{name.name}.gz").write_bytes(gzip.compress(data))
            else:
                name.write_bytes(data)
    return folder


def test_reads_the_four_files_with_the_test_set_as_validation(tmp_path):
    data = FashionMNIST(write_fashion(tmp_path / "f")).load(28)
    assert data.x_train.shape == (40, 28, 28, 1) and data.x_val.shape == (20, 28, 28, 1)
    assert data.class_names == list(CLASSES) and data.class_names[9] == "ankle boot"
    assert data.x_train.dtype == np.uint8 and np.all(data.x_train[:, 0, 0, 0] == data.y_train * 20)


def test_uncompressed_files_and_a_resize(tmp_path):
    data = FashionMNIST(write_fashion(tmp_path / "f", gz=False)).load(16)
    assert data.input_shape == (16, 16, 1) and len(data.y_val) == 20


def test_classes_by_name_are_renumbered_and_per_class_is_a_fixed_stratified_draw(tmp_path):
    folder = write_fashion(tmp_path / "f", per_class=6)
    data = FashionMNIST(folder, classes=SHOES, per_class=3).load(28)
    assert data.class_names == ["sandal", "sneaker", "ankle boot"]
    assert np.bincount(data.y_train).tolist() == [3, 3, 3] and np.bincount(data.y_val).tolist() == [2, 2, 2]
    assert set(data.x_train[:, 0, 0, 0].tolist()) == {5 * 20, 7 * 20, 9 * 20}  # the shoes' own pixels
    again = FashionMNIST(folder, classes=("Ankle_Boot", "SANDAL", "sneaker"), per_class=3).load(28)
    assert np.array_equal(again.x_train, data.x_train)  # names in any case and order; the same draw
    other = FashionMNIST(folder, per_class=3, seed=5).load(28)
    assert len(other.y_train) == 30


@pytest.mark.parametrize("kwargs, message", [
    ({"classes": ("sneaker", "slipper")}, "unknown class 'slipper'"),
    ({"classes": ("sneaker",)}, "at least two different classes"),
    ({"per_class": 0}, "per_class=...) must be a whole number"),
])
def test_bad_arguments_are_one_sentence(kwargs, message):
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FashionMNIST(**kwargs)


def test_per_class_beyond_the_split_says_how_many_there_are(tmp_path):
    with pytest.raises(SweepError, match="per_class=5 but class 't-shirt' has 4 images"):
        FashionMNIST(write_fashion(tmp_path / "f"), per_class=5).load(28)


def test_missing_files_name_the_package_or_path(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FOLDER", tmp_path / "none")
    monkeypatch.setattr(fashion_mnist, "KERAS_CACHE", tmp_path / "cache")
    with pytest.raises(DataNotFound, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST().load(28)
    folder = write_fashion(tmp_path / "f")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFound, match="lacks t10k-labels-idx1-ubyte"):
        FashionMNIST(folder).load(28)
    with pytest.raises(DataNotFound, match="does not exist"):
        FashionMNIST(tmp_path / "elsewhere").load(28)


def test_keras_cache_is_found_when_the_package_is_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FOLDER", tmp_path / "none")
    monkeypatch.setattr(fashion_mnist, "KERAS_CACHE", write_fashion(tmp_path / "cache"))
    assert len(FashionMNIST().load(28).y_train) == 40


def test_truncated_and_damaged_files_are_named(tmp_path):
    folder = write_fashion(tmp_path / "f")
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-100]))
    with pytest.raises(SweepError, match=r"train-images-idx3-ubyte.gz: truncated or padded: .* 31,360 bytes, it holds 31,260"):
        FashionMNIST(folder).load(28)
    images.write_bytes(images.read_bytes()[:50])
    with pytest.raises(SweepError, match="train-images-idx3-ubyte.gz: damaged file"):
        FashionMNIST(folder).load(28)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(b"not an idx file"))
    with pytest.raises(SweepError, match="t10k-labels-idx1-ubyte.gz: not an IDX file"):
        read_idx(labels, 1)


def test_a_sweep_on_a_damaged_file_is_one_error_line(tmp_path, capsys):
    folder = write_fashion(tmp_path / "f")
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    sweep = write_sweep(tmp_path / "s.py", f"""
sweep = Sweep(name="f", data=FashionMNIST({str(folder)!r}), hypermodel=DigitsCNN, image_size=28, epochs=1)
""")
    assert main([str(sweep)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "train-labels-idx1-ubyte.gz" in err[0], err


@pytest.mark.skipif(not (DEBIAN_FOLDER / "train-images-idx3-ubyte.gz").exists(),
                    reason=f"Fashion-MNIST is not installed ({DEBIAN_FOLDER}: apt-get install dataset-fashion-mnist)")
def test_the_debian_package_holds_the_real_set():
    data = FashionMNIST(classes=SHOES, val_per_class=100).load(28)
    assert data.x_train.shape == (18000, 28, 28, 1) and np.bincount(data.y_val).tolist() == [100, 100, 100]
    assert 30 < data.x_train.mean() < 120 and data.x_train.std() > 50  # real photographs of shoes, not blank files


@pytest.mark.skipif(not (DEBIAN_FOLDER / "train-images-idx3-ubyte.gz").exists(),
                    reason=f"Fashion-MNIST is not installed ({DEBIAN_FOLDER}: apt-get install dataset-fashion-mnist)")
@pytest.mark.parametrize("name", ["fashion_claims", "fashion_shoes", "fashion_structure", "fashion_epochs"])
def test_the_fashion_studies_describe_themselves(name, capsys):
    assert main([str(ROOT / "sweeps" / f"{name}.py"), "--describe"]) == 0
    out = capsys.readouterr().out
    assert "Fashion-MNIST" in out and "28x28x1" in out
