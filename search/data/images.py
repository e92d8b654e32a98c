"""Decode one image file into a fixed-size uint8 array, or say why it can't.

Real image folders are messy: stray text files, zero-byte or truncated
JPEGs, CMYK scans, 16-bit PNGs, palette images with transparency. Each is
either converted to the requested colour mode or rejected with a short
reason, so the loader can skip it with one warning instead of crashing a
sweep that would otherwise run for hours.
"""

from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

# The extensions `keras.utils.image_dataset_from_directory` indexes.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

# How a non-square image becomes size x size, under Keras' names
# (`image_dataset_from_directory(crop_to_aspect_ratio=, pad_to_aspect_ratio=)`):
# stretch it (the articles' way), crop its centre, or pad it with black.
RESIZE_MODES = ("stretch", "crop", "pad")

# Large enough for any photo a user may have (a 12000 x 12000 PNG of a few
# hundred KB decodes in seconds). Past it PIL warns, and past twice it refuses;
# `decode_many` turns both into a skip with one warning naming the file.
Image.MAX_IMAGE_PIXELS = 20_000 * 20_000

# The most pixels an image may decode to (after JPEG's reduced-scale draft):
# a 20000 x 20000 PNG is 552 KB on disk and 1.2 GB decoded, and eight decode
# at once. Past this bound a file is skipped with a warning naming it.
# Settable for a folder of huge scans: SEARCH_MAX_IMAGE_PIXELS=400000000.
MAX_PIXELS_ENV = "SEARCH_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 100_000_000


class SkippedFileWarning(UserWarning):
    """A file in the data folder that could not be used as an image."""


class TooLarge(ValueError):
    """An image past the decode bound (`max_pixels`): skipped before its pixels are decoded."""


@dataclass(frozen=True)
class FileProperties:
    """What the file itself says about an image, read while decoding it.

    The data check (`search.data.datacheck`) tests whether any of these predicts
    the class: a cue a model can learn instead of the content. They come out
    of the one decode every sweep does anyway (the header PIL parses, the
    stat the empty-file check makes), so they cost nothing measurable.
    Content hashes are left to the check, which hashes only the files whose
    byte size another file shares: hashing every file cost more than the
    whole check.
    """

    path: str
    width: int  # pixels in the file, before any resize
    height: int
    format: str  # PIL's name: JPEG, PNG, GIF, BMP
    mode: str  # PIL's colour mode in the file: RGB, L, P, RGBA, CMYK, I;16 ...
    file_bytes: int
    modified_ns: int  # with the size, what tells a cached check that the file changed


def max_pixels() -> int:
    """The decode bound: SEARCH_MAX_IMAGE_PIXELS if set to a positive whole number, else 100 megapixels."""
    try:
        value = int(os.environ.get(MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS))
    except ValueError:
        return DEFAULT_MAX_PIXELS
    return value if value > 0 else DEFAULT_MAX_PIXELS


def available_memory() -> int | None:
    """Bytes this machine can give now without swapping: Linux's MemAvailable (free memory plus the
    caches it can drop), else the free pages; None where neither can be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def decoded_bytes(images: int, size: int, channels: int) -> int:
    """What `images` decoded images take: uint8, size x size x channels each, held once for every run."""
    return images * size * size * channels


def check_fits_in_memory(images: int, size: int, channels: int, where: str) -> None:
    """One error line before decoding images that the memory free now cannot hold.

    The decoded images are held once, for every run; this refuses only what
    cannot fit at all, rather than let the machine start swapping or kill
    the process halfway through decoding.
    """
    need, free = decoded_bytes(images, size, channels), available_memory()
    if free is not None and need > free:
        from rundir.errors import SweepError

        raise SweepError(f"{where}: {images:,} images at {size}x{size}x{channels} would take {format_bytes(need)} "
                         f"decoded, more than the {format_bytes(free)} of memory free now: lower image_size, use "
                         "fewer images, or free memory")


def format_bytes(n: int) -> str:
    """1.2 GB, 84 MB, 350 kB: the size in the unit a reader expects (powers of 1,000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.{1 if n < 10 * scale else 0}f} {unit}"
    return f"{n} bytes"


def decode_workers(requested: int, bound: int) -> int:
    """Threads that may decode at once without outgrowing the memory free now: each may hold an image
    of up to `bound` pixels in 4 bytes, twice (decoding, then converting)."""
    free = available_memory()
    return requested if free is None else max(1, min(requested, free // (8 * bound)))


def check_resize(resize: str) -> str:
    if resize not in RESIZE_MODES:
        from rundir.errors import SweepError

        raise SweepError(f"resize must be one of {', '.join(RESIZE_MODES)}, not {resize!r}")
    return resize


def decode_image(path: Path, size: int, channels: int, resize: str = "stretch") -> np.ndarray:
    """Return the image at `path` as a (size, size, channels) uint8 array.

    Raises ValueError with a short reason when the file is not a usable image.
    """
    return decode_file(path, size, channels, resize)[0]


def decode_file(path: Path, size: int, channels: int, resize: str = "stretch") -> tuple[np.ndarray, FileProperties]:
    """Decode `path` like `decode_image` and also return its `FileProperties`."""
    try:
        stat = path.stat()
    except OSError as exc:  # a dangling or looping symlink, a file deleted meanwhile
        what = "broken symbolic link" if path.is_symlink() else "cannot read file"
        raise ValueError(f"{what} ({exc.strerror or exc})") from None
    if stat.st_size == 0:
        raise ValueError("empty file (0 bytes)")
    try:
        with Image.open(path) as img:
            width, height, file_format, file_mode = img.width, img.height, str(img.format), img.mode
            # JPEG can decode at 1/2, 1/4, 1/8 scale directly: much faster for
            # photos far larger than the model's input, same result after resize.
            img.draft("RGB" if channels == 3 else "L", (size, size))
            bound = max_pixels()
            if img.width * img.height > bound:
                raise TooLarge(f"image too large: {img.width}x{img.height} would decode to "
                                 f"{img.width * img.height / 1e6:.0f} megapixels, over the bound of {bound / 1e6:g} "
                                 f"(set {MAX_PIXELS_ENV} to raise it)")
            img.load()
            img = _to_8bit(img)
            img = img.convert("RGB" if channels == 3 else "L")
            array = _resize(img, size, resize)
    except TooLarge:
        raise
    except UnidentifiedImageError:
        raise ValueError("not an image PIL can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"image too large ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"cannot decode image ({exc})") from None
    properties = FileProperties(path=str(path), width=width, height=height, format=file_format, mode=file_mode,
                                file_bytes=stat.st_size, modified_ns=stat.st_mtime_ns)
    if channels == 1:
        array = array[:, :, None]
    return array, properties


def _resize(img: Image.Image, size: int, resize: str) -> np.ndarray:
    """The image as a size x size uint8 array.

    Same geometry as `keras.utils.image_dataset_from_directory`:
    `crop_to_aspect_ratio` takes the largest centred square, then resizes;
    `pad_to_aspect_ratio` (TensorFlow's `resize_with_pad`) resizes to fit
    inside the square, then centres it on black.
    """
    width, height = img.size
    if resize == "crop" and width != height:
        side = min(width, height)
        left, top = int((width - side) / 2), int((height - side) / 2)
        # Crop, then resize: resize(box=) would blend in pixels from outside the box.
        img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    elif resize == "pad" and width != height:
        ratio = max(width / size, height / size)
        inner_w, inner_h = max(1, math.floor(width / ratio)), max(1, math.floor(height / ratio))
        left, top = max(0, math.floor((size - width / ratio) / 2)), max(0, math.floor((size - height / ratio) / 2))
        inner = img.resize((inner_w, inner_h), Image.Resampling.BILINEAR)
        canvas = Image.new(img.mode, (size, size), 0)
        canvas.paste(inner, (left, top))
        img = canvas
    else:
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


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


@dataclass(frozen=True)
class DecodedFiles:
    """The decoded images of a list of files, with what each file says of itself."""

    images: np.ndarray  # (kept, size, size, channels) uint8
    kept: list[int]  # index into the paths of each decoded image
    properties: list[FileProperties]  # one per kept image


def decode_many(
    paths: list[Path], size: int, channels: int, workers: int = 8, resize: str = "stretch"
) -> tuple[np.ndarray, list[int]]:
    """Decode `paths` in parallel; return the stacked images and kept indices."""
    decoded = decode_files(paths, size, channels, workers, resize)
    return decoded.images, decoded.kept


def decode_files(
    paths: list[Path], size: int, channels: int, workers: int = 8, resize: str = "stretch"
) -> DecodedFiles:
    """Decode `paths` in parallel, keeping each file's `FileProperties`.

    PIL releases the GIL while decoding, so threads give a real speed-up.
    Each unusable file is skipped with one `SkippedFileWarning` naming it.
    """
    check_resize(resize)
    out = aligned_empty((len(paths), size, size, channels))
    properties: list[FileProperties | None] = [None] * len(paths)
    kept: list[int] = []

    def work(i: int) -> tuple[int, str | None]:
        try:
            out[i], properties[i] = decode_file(paths[i], size, channels, resize)
            return i, None
        except ValueError as exc:
            return i, str(exc)

    # PIL only warns between MAX_IMAGE_PIXELS and twice that, then decodes
    # gigabytes anyway; as an error it skips the file like any other. (The
    # filter is process-wide: this is the one place that decodes in threads.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with ThreadPoolExecutor(max_workers=decode_workers(workers, max_pixels())) as pool:
            results = list(pool.map(work, range(len(paths))))
    for i, problem in results:
        if problem is None:
            kept.append(i)
        else:
            warnings.warn(f"skipped {paths[i]}: {problem}", SkippedFileWarning, stacklevel=3)
    return DecodedFiles(keep_rows(out, kept), kept, [properties[i] for i in kept])


def aligned_empty(shape: tuple[int, ...], alignment: int = 64) -> np.ndarray:
    """An uninitialised uint8 array whose first byte sits on an `alignment`-byte boundary, so that
    TensorFlow trains from it in place (search.data.pipeline.shared_tensor) instead of copying it."""
    n = int(np.prod(shape))
    raw = np.empty(n + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + n].reshape(shape)


def keep_rows(images: np.ndarray, kept: list[int]) -> np.ndarray:
    """The rows `kept` (ascending) moved to the front, in place: `images[kept]` would hold a second copy
    of every image at once, the largest allocation of a sweep."""
    for j, i in enumerate(kept):
        if i != j:
            images[j] = images[i]
    return images[:len(kept)]


def reorder_rows(images: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`images[order]` for a permutation `order`, done in place one row at a time (a cycle at a time),
    so a split of the images into training and validation is two views of the one decoded array."""
    done = np.zeros(len(order), dtype=bool)
    for start in range(len(order)):
        if done[start]:
            continue
        done[start] = True
        if order[start] == start:
            continue
        first, j = images[start].copy(), start
        while order[j] != start:
            images[j] = images[order[j]]
            j = int(order[j])
            done[j] = True
        images[j] = first
    return images


def joined(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """`np.concatenate([first, second])`, but a view of their memory when the two lie back to back in one
    buffer (the training and validation views `reorder_rows` leaves): pooling them for folds copies nothing."""
    base = first.base
    if (base is not None and base is second.base and base.flags.c_contiguous and first.flags.c_contiguous
            and second.flags.c_contiguous and first.dtype == second.dtype and first.shape[1:] == second.shape[1:]
            and first.ctypes.data + first.nbytes == second.ctypes.data):
        return np.ndarray((len(first) + len(second), *first.shape[1:]), dtype=first.dtype, buffer=base,
                          offset=first.ctypes.data - base.ctypes.data)
    return np.concatenate([first, second])
