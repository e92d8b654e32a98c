"""Decode one image file into a fixed-size uint8 array, or say why it can't.

Real image folders are messy: stray text files, zero-byte or truncated
JPEGs, CMYK scans, 16-bit PNGs, palette images with transparency. Each is
either converted to the requested colour mode or rejected with a short
reason, so the loader can skip it with one warning instead of crashing a
sweep that would otherwise run for hours.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

# The extensions `keras.utils.image_dataset_from_directory` indexes.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

# Large enough for any photo a user may have (a 12000 x 12000 PNG of a few
# hundred KB decodes in seconds). Past it PIL warns, and past twice it refuses;
# `decode_many` turns both into a skip with one warning naming the file.
Image.MAX_IMAGE_PIXELS = 20_000 * 20_000


class SkippedFileWarning(UserWarning):
    """A file in the data folder that could not be used as an image."""


def decode_image(path: Path, size: int, channels: int) -> np.ndarray:
    """Return the image at `path` as a (size, size, channels) uint8 array.

    Raises ValueError with a short reason when the file is not a usable image.
    """
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:  # a dangling or looping symlink, a file deleted meanwhile
        what = "broken symbolic link" if path.is_symlink() else "cannot read file"
        raise ValueError(f"{what} ({exc.strerror or exc})") from None
    if empty:
        raise ValueError("empty file (0 bytes)")
    try:
        with Image.open(path) as img:
            # JPEG can decode at 1/2, 1/4, 1/8 scale directly: much faster for
            # photos far larger than the model's input, same result after resize.
            img.draft("RGB" if channels == 3 else "L", (size, size))
            img.load()
            img = _to_8bit(img)
            img = img.convert("RGB" if channels == 3 else "L")
            img = img.resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(img, dtype=np.uint8)
    except UnidentifiedImageError:
        raise ValueError("not an image PIL can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"image too large ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"cannot decode image ({exc})") from None
    if channels == 1:
        array = array[:, :, None]
    return array


def _to_8bit(img: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer and float images into 0..255 before converting.

    PIL's own convert() clips them instead, turning a 16-bit PNG white.
    """
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if (img.mode.startswith("I;16") or values.max() > 255) else 255.0
        scaled = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(scaled, mode="L")
    if img.mode == "P" and "transparency" in img.info:
        return img.convert("RGBA")
    return img


def decode_many(
    paths: list[Path], size: int, channels: int, workers: int = 8
) -> tuple[np.ndarray, list[int]]:
    """Decode `paths` in parallel; return the stacked images and kept indices.

    PIL releases the GIL while decoding, so threads give a real speed-up.
    Each unusable file is skipped with one `SkippedFileWarning` naming it.
    """
    out = np.empty((len(paths), size, size, channels), dtype=np.uint8)
    kept: list[int] = []

    def work(i: int) -> tuple[int, str | None]:
        try:
            out[i] = decode_image(paths[i], size, channels)
            return i, None
        except ValueError as exc:
            return i, str(exc)

    # PIL only warns between MAX_IMAGE_PIXELS and twice that, then decodes
    # gigabytes anyway; as an error it skips the file like any other. (The
    # filter is process-wide: this is the one place that decodes in threads.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(work, range(len(paths))))
    for i, problem in results:
        if problem is None:
            kept.append(i)
        else:
            warnings.warn(f"skipped {paths[i]}: {problem}", SkippedFileWarning, stacklevel=2)
    return out[kept], kept
