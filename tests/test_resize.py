"""resize="crop" / "pad": the aspect-preserving resizes, under Keras' names.

Checked two ways: on an image whose three vertical bands make crop and pad
land on known pixels, and against `keras.utils.image_dataset_from_directory`
with `crop_to_aspect_ratio` / `pad_to_aspect_ratio` itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from search.data.sources import ImageFolder
from rundir.errors import SweepError
from search.data.images import decode_file, decode_image

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def bands(path: Path, width: int = 40, height: int = 20, vertical: bool = True) -> Path:
    """Red | green | blue bands, the green one exactly the centred square."""
    side = min(width, height)
    edge = (max(width, height) - side) // 2
    image = np.zeros((height, width, 3), np.uint8)
    if vertical:
        image[:, :edge], image[:, edge:edge + side], image[:, edge + side:] = RED, GREEN, BLUE
    else:
        image[:edge], image[edge:edge + side], image[edge + side:] = RED, GREEN, BLUE
    Image.fromarray(image).save(path)
    return path


@pytest.mark.parametrize("width, height, vertical", [(40, 20, True), (20, 40, False)])
def test_crop_keeps_the_centred_square(tmp_path, width, height, vertical):
    path = bands(tmp_path / "wide.png", width, height, vertical)
    array = decode_image(path, 10, 3, resize="crop")
    assert array.shape == (10, 10, 3)
    assert (array == GREEN).all()  # nothing of the red and blue bands is left


@pytest.mark.parametrize("width, height, vertical", [(40, 20, True), (20, 40, False)])
def test_pad_adds_centred_black_borders(tmp_path, width, height, vertical):
    path = bands(tmp_path / "wide.png", width, height, vertical)
    array, properties = decode_file(path, 20, 3, resize="pad")
    assert array.shape == (20, 20, 3)
    lines = array if width > height else array.transpose(1, 0, 2)  # rows across the padding
    assert (lines[:4] == 0).all() and (lines[16:] == 0).all()  # 10 of 40 source rows each side: 5 of 20
    inside = lines[6:14]
    assert (inside[:, :4] == RED).all() and (inside[:, 6:14] == GREEN).all() and (inside[:, 16:] == BLUE).all()
    assert (properties.width, properties.height, properties.format, properties.mode) == (width, height, "PNG", "RGB")


def test_stretch_is_the_default_and_keeps_every_band(tmp_path):
    path = bands(tmp_path / "wide.png")
    array = decode_image(path, 20, 3)
    assert (array[:, 1] == RED).all() and (array[:, 10] == GREEN).all() and (array[:, 18] == BLUE).all()


def test_an_unknown_resize_is_refused(tmp_path):
    with pytest.raises(SweepError, match="resize must be one of stretch, crop, pad"):
        ImageFolder(tmp_path).load(16, "squash")


@pytest.mark.parametrize("resize, keras_flag", [("crop", "crop_to_aspect_ratio"), ("pad", "pad_to_aspect_ratio")])
def test_same_geometry_as_keras(tmp_path, resize, keras_flag):
    """Same crop/pad box as Keras, pixel for pixel up to rounding. The images
    are enlarged (to 64 px), where PIL's and TensorFlow's bilinear filters
    agree; when shrinking, PIL's antialiases and TensorFlow's does not."""
    import keras

    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for name, (w, h) in {"a": (60, 36), "b": (30, 54)}.items():
        (root / name).mkdir(parents=True)
        for i in range(3):
            small = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
            small.resize((w, h), Image.Resampling.BICUBIC).save(root / name / f"{i}.png")
    ours = ImageFolder(root, validation_split=0.5, seed=3).load(64, resize)
    ds = keras.utils.image_dataset_from_directory(root, image_size=(64, 64), batch_size=None, shuffle=False,
                                                  **{keras_flag: True})
    theirs = {Path(p).name + Path(p).parent.name: np.asarray(x) for p, (x, _) in zip(ds.file_paths, ds)}
    ours_by_file = {Path(f.path).name + Path(f.path).parent.name: x
                    for f, x in zip(ours.train_files + ours.val_files, np.concatenate([ours.x_train, ours.x_val]))}
    assert ours_by_file.keys() == theirs.keys()
    for key, x in ours_by_file.items():
        assert x.shape == theirs[key].shape == (64, 64, 3)
        diff = np.abs(x.astype(float) - theirs[key])
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 3, (key, diff.mean(), diff.max())
