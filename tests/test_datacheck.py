"""The data check on folders built to have (or not have) each problem.

Each folder is generated here, tiny, so that the check's verdict is known
by construction: different sizes per class is a cue, a copied file is a
cross-split duplicate, a JPEG saved again at another quality is a near
duplicate, and a balanced random folder of one size has nothing to warn of.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import write_sweep
from search.check import main as check_main
from search.data.sources import Digits, ImageFolder, TrainTestFolders
from rundir.records import CHECK_FILE
from search.data.datacheck import (NEAR_BITS, cached_check, check_data, near_pairs, perceptual_hashes, popcount,
                                   property_cue)


def smooth_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A photo-like image: random colours at three scales blown up smoothly,
    so that it has detail at every frequency as photos do."""
    out = np.zeros((height, width, 3))
    for side, weight in ((4, 1.0), (8, 0.5), (16, 0.25)):
        small = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
        out += weight * np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), dtype=float)
    return np.clip(out / 1.75, 0, 255).astype(np.uint8)


def random_folder(root: Path, sizes: dict[str, tuple[int, int]], per_class: int, seed: int = 0,
                  fmt: str = "png") -> Path:
    rng = np.random.default_rng(seed)
    for name, (width, height) in sizes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(smooth_image(rng, width, height)).save(root / name / f"{i:03d}.{fmt}")
    return root


def test_two_classes_at_different_sizes_are_warned(tmp_path):
    root = random_folder(tmp_path / "shops", {"adidas": (75, 53), "nike": (59, 59)}, per_class=20)
    check = check_data(ImageFolder(root, validation_split=0.25, seed=1).load(16), 16)
    flagged = {c.name for c in check.cues if c.flagged}
    assert {"width", "height", "aspect_ratio"} <= flagged
    assert "brightness" not in flagged and "format" not in flagged
    width = next(c for c in check.cues if c.name == "width")
    assert width.accuracy == 1.0 and width.majority == 0.5 and set(width.classes) == {"adidas", "nike"}
    assert width.per_class == {"adidas": "75 px", "nike": "59 px"}
    lines = [w for w in check.warnings if w.startswith("shortcut cue: image width")]
    assert len(lines) == 1 and "--resize crop" in lines[0] and "adidas: 75 px" in lines[0]


def test_a_file_copied_into_training_and_validation_is_reported(tmp_path):
    root = tmp_path / "sneakers"
    random_folder(root / "train", {"a": (24, 24), "b": (24, 24)}, per_class=8, seed=1)
    random_folder(root / "test", {"a": (24, 24), "b": (24, 24)}, per_class=3, seed=2)
    shutil.copy(root / "train" / "b" / "005.png", root / "test" / "b" / "copied.png")
    check = check_data(TrainTestFolders(root).load(16), 16)
    d = check.duplicates
    assert d.exact == {"train": 0, "val": 0, "across": 1} and d.val_with_train_copy == 1
    pair = d.pairs[0]
    assert pair.where == "across" and pair.a.endswith("train/b/005.png") and pair.b.endswith("test/b/copied.png")
    assert pair.thumb_a.startswith("data:image/png;base64,")
    assert any(w.startswith("duplicates: 1 of 7 validation images have a copy in training") for w in check.warnings)


def test_images_saved_again_at_another_jpeg_quality_are_near_duplicates(tmp_path):
    rng = np.random.default_rng(3)
    for name in ("cats", "dogs"):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(10):
            image = Image.fromarray(smooth_image(rng, 96, 96))
            image.save(tmp_path / "pets" / name / f"{i}_q95.jpg", quality=95)
            if i < 3:  # three of each class saved again at quality 60
                image.save(tmp_path / "pets" / name / f"{i}_q60.jpg", quality=60)
    data = ImageFolder(tmp_path / "pets", validation_split=0.25, seed=1).load(64)
    d = check_data(data, 64).duplicates
    assert sum(d.exact.values()) == 0  # different bytes
    assert sum(d.near.values()) == 6  # exactly the six re-encoded pairs, no different photos
    stems = {(Path(p.a).name.split("_")[0], Path(p.b).name.split("_")[0]) for p in d.pairs}
    assert all(a == b for a, b in stems)


@pytest.mark.parametrize("fmt, seed", [("png", 0), ("jpg", 1), ("png", 2)])
def test_a_balanced_random_folder_of_one_size_gets_no_warning(tmp_path, fmt, seed):
    root = random_folder(tmp_path / "random", {"a": (40, 40), "b": (40, 40), "c": (40, 40)}, per_class=30,
                         seed=seed, fmt=fmt)
    check = check_data(ImageFolder(root, validation_split=0.2, seed=seed).load(16), 16)
    assert check.warnings == []
    assert not any(c.flagged for c in check.cues)
    assert check.resolution.n_val == 18 and check.resolution.points_per_image == pytest.approx(100 / 18)


def test_perceptual_hash_ignores_noise_and_tells_photos_apart():
    rng = np.random.default_rng(0)
    photos = np.stack([smooth_image(rng, 64, 64) for _ in range(20)])
    noisy = np.clip(photos.astype(int) + rng.integers(-4, 5, photos.shape), 0, 255).astype(np.uint8)
    a, b = perceptual_hashes(photos), perceptual_hashes(noisy)
    same = popcount(a ^ b)
    different = popcount(a[:, None] ^ a[None, :])[~np.eye(20, dtype=bool)]
    assert same.max() <= 4 and different.min() > 4


def test_near_pair_search_finds_exactly_what_comparing_every_pair_finds():
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**63, 300, dtype=np.uint64)
    near = base[:60].copy()  # 0 to 6 bits flipped: some within NEAR_BITS, some beyond
    for k in range(60):
        for bit in rng.choice(64, size=rng.integers(0, 7), replace=False):
            near[k] ^= np.uint64(1) << np.uint64(bit)
    hashes = np.concatenate([base, near, np.repeat(base[:1], 4)])  # and a group of five identical
    bits = popcount(hashes[:, None] ^ hashes[None, :])
    every_pair = [(i, j, int(bits[i, j])) for i in range(len(hashes)) for j in range(i + 1, len(hashes))
                  if bits[i, j] <= NEAR_BITS]
    assert near_pairs(hashes, NEAR_BITS) == every_pair
    assert len(every_pair) > 20


def test_popcount_without_numpy_2_counts_the_same(monkeypatch):
    values = np.random.default_rng(1).integers(0, 2**63, 50, dtype=np.uint64)
    expected = [bin(int(v)).count("1") for v in values]
    assert list(popcount(values)) == expected
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert list(popcount(values)) == expected


def test_built_in_sets_without_files_are_checked_on_their_arrays():
    check = check_data(Digits().load(8), 8)
    assert not check.has_files
    assert [c.name for c in check.cues] == ["brightness"]
    assert any("without files" in n for n in check.notes)


def test_the_check_is_cached_and_redone_when_the_data_changes(tmp_path):
    root = random_folder(tmp_path / "d", {"a": (20, 20), "b": (20, 20)}, per_class=6)
    run = tmp_path / "run"
    run.mkdir()
    first, reused = cached_check(ImageFolder(root).load(12), 12, "stretch", run)
    assert not reused and (run / CHECK_FILE).exists()
    again, reused = cached_check(ImageFolder(root).load(12), 12, "stretch", run)
    assert reused and again["key"] == first.key
    Image.fromarray(smooth_image(np.random.default_rng(9), 20, 20)).save(root / "a" / "new.png")
    changed, reused = cached_check(ImageFolder(root).load(12), 12, "stretch", run)
    assert not reused and changed.key != first.key
    assert json.loads((run / CHECK_FILE).read_text())["key"] == changed.key


# ---------------------------------------------------------------- the command


def test_check_command_prints_one_line_warnings(tmp_path, capsys):
    root = random_folder(tmp_path / "shops", {"adidas": (75, 53), "nike": (59, 59)}, per_class=20)
    assert check_main([str(root), "--image-size", "16"]) == 0
    captured = capsys.readouterr()
    warnings = captured.err.strip().splitlines()
    assert all(w.startswith("warning: shortcut cue: ") for w in warnings), warnings
    named = [w.split(" alone predicts")[0].removeprefix("warning: shortcut cue: ") for w in warnings]
    # the sizes, and the file size that follows from them; not the format, colour mode or brightness
    assert named == ["image width", "image height", "aspect ratio (width / height)", "file size"]
    assert f"2 classes, {len(warnings)} warnings" in captured.out and "one image is 12.5 accuracy points" in captured.out


def test_check_command_missing_folder_is_one_line_error(tmp_path, capsys):
    assert check_main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: data folder {tmp_path / 'nowhere'} does not exist"]


def test_check_command_bad_resize_is_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        check_main([str(tmp_path), "--resize", "squash"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: argument --resize: invalid choice: 'squash'")


# ---------------------------------------------------------------- in a sweep and its report


SWEEP = """
sweep = Sweep(
    name="shops",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=12,
    space={{"batch_size": 8}},
    epochs=1,
    early_stopping=None,
)
"""


def test_a_sweep_warns_before_training_and_its_report_shows_the_check(tmp_path, capsys):
    from reports.datacheck import datacheck_info
    from search.run import main

    root = random_folder(tmp_path / "shops", {"adidas": (75, 53), "nike": (59, 59)}, per_class=12)
    shutil.copy(root / "adidas" / "000.png", root / "nike" / "copy.png")  # one image in two classes
    sweep = write_sweep(tmp_path / "s.py", SWEEP.format(data=str(root)))
    out = tmp_path / "run"
    assert main([str(sweep), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any("shortcut cue: image width" in w for w in warned)
    assert any("1 duplicate pair carries different classes" in w for w in warned)
    first_run = next(i for i, line in enumerate(err.splitlines()) if line.startswith("run 1/1 "))
    assert max(i for i, line in enumerate(err.splitlines()) if line.startswith("warning: ")) < first_run

    info = datacheck_info(out)
    assert info is not None and info.n_val == 6 and info.points_per_image == pytest.approx(100 / 6)
    assert [c.label for c in info.flagged][:2] == ["image width", "image height"]
    assert info.label_conflicts == 1 and info.pairs[0].thumb_a.startswith("data:image/png;base64,")
    html = (out / "report.html").read_text()
    assert html.index('id="datacheck"') < html.index('id="trials"')
    assert html.index('id="summary"') < html.index('id="datacheck"')
    assert "shortcut cue: image width alone predicts the class" in html

    # A resume reuses the saved check and prints the same warnings.
    assert main([str(sweep), "--out", str(out), "--no-report"]) == 0
    again = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert again == warned


def test_resize_is_part_of_the_fingerprint_and_old_run_directories_resume(tmp_path):
    from search.sweep.manifest import check_resumable, fingerprint
    from rundir.errors import SweepError
    from rundir.records import RunDirectory
    from search.sweep.spec import load_sweep_file

    root = random_folder(tmp_path / "d", {"a": (20, 20), "b": (20, 20)}, per_class=4)
    sweep = load_sweep_file(write_sweep(tmp_path / "s.py", SWEEP.format(data=str(root))))
    records = RunDirectory(tmp_path / "run")
    records.prepare()
    old = fingerprint(sweep)
    del old["resize"]  # written before the setting existed
    records.write_json("sweep.json", {"fingerprint": old})
    check_resumable(records, sweep.with_overrides(resize="crop"))  # no key: resumes
    records.write_json("sweep.json", {"fingerprint": fingerprint(sweep)})
    with pytest.raises(SweepError, match="changed: resize"):
        check_resumable(records, sweep.with_overrides(resize="crop"))


def test_the_datacheck_benchmark_runs_and_reports_one_line_per_size(tmp_path, capsys):
    """At toy size it measures nothing; it proves the benchmark runs and says what it measured."""
    from benchmarks.__main__ import main as bench_main

    root = random_folder(tmp_path / "toy", {"a": (30, 20), "b": (30, 20)}, per_class=10, fmt="jpg")
    assert bench_main(["datacheck", "--data", str(root), "--image-size", "16"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(m["name"], m["image_size"]) for m in lines] == [("datacheck", 64), ("datacheck", 16)]
    for m in lines:
        assert m["baseline"] > 0 and m["ratio"] > 0 and m["target"] == "<= 0.1"
        assert len(m["details"]["cpu_s"]["check"]) == 3
        assert m["details"]["resolution"].startswith("2 validation images: one image is 50 accuracy points")


# ---------------------------------------------------------------- tiny images, built-in data, counts


def test_the_digits_have_no_near_duplicate_warning():
    """Hash matches of different handwriting (7.6-21.9 of 255 apart at 16 px) are not copies."""
    data = Digits().load(16)
    check = check_data(data, 16)
    assert check.duplicates.near == {"train": 0, "val": 0, "across": 0}
    assert not any(w.startswith("duplicates") for w in check.warnings)
    hashes = np.concatenate([perceptual_hashes(data.x_train), perceptual_hashes(data.x_val)])
    assert len(near_pairs(hashes, NEAR_BITS)) > 20  # the hash alone would have called them copies


def test_a_copy_in_built_in_data_is_named_by_its_indices():
    data = Digits().load(16)
    copied = replace(data, x_val=np.concatenate([data.x_val[:-1], data.x_train[5:6] // 2 * 2]),  # 0-1 levels off
                     y_val=np.concatenate([data.y_val[:-1], data.y_train[5:6]]))
    (line,) = [w for w in check_data(copied, 16).warnings if w.startswith("duplicates")]
    assert "1 of 359 validation images have a copy in training" in line
    assert "leave one copy of each pair out of the arrays (train #5 = validation #358)" in line
    assert "data folder" not in line


def test_brightness_is_flagged_only_when_the_classes_typical_values_are_apart():
    labels = np.repeat([0, 1], 200)
    rng = np.random.default_rng(0)
    # noise 128 (125-130) beside stripes 127 (120-130): a histogram quirk tells them apart, not lighting
    quirk = np.concatenate([rng.normal(128, 2, 200), np.where(rng.random(200) < 0.5, 120.5, 129.5)])
    assert not property_cue("brightness", quirk, labels, ["noise", "stripes"]).flagged
    apart = np.concatenate([rng.normal(100, 3, 200), rng.normal(150, 3, 200)])
    assert property_cue("brightness", apart, labels, ["dark", "light"]).flagged


def test_the_commands_warning_count_matches_the_lines_printed(tmp_path, capsys):
    root = random_folder(tmp_path / "shops", {"adidas": (75, 53), "nike": (59, 59)}, per_class=20)
    for name in ("notes.txt", "list.csv"):
        (root / "nike" / name).write_text("not an image")
    assert check_main([str(root), "--image-size", "16"]) == 0
    captured = capsys.readouterr()
    printed = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(printed) == 6  # 2 skipped files, 4 cues
    assert f"2 classes, 6 warnings (2 while reading the files, 4 from the check)" in captured.out


HOLLYWOOD = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "hollywood"


@pytest.mark.skipif(not HOLLYWOOD.is_dir(), reason=f"the shared Hollywood folder is not at {HOLLYWOOD} "
                                                   "(it lives outside the repository)")
def test_photos_saved_twice_stay_near_copies_on_real_data():
    """The shared Hollywood folder's hash matches at 64 px: two photos saved twice (3.6 and 4.5 of 255
    apart) are near copies; the third match (22.5 apart) is another picture."""
    data = ImageFolder(HOLLYWOOD, validation_split=0.1, seed=123).load(64)
    near = check_data(data, 64).duplicates.near
    assert sum(near.values()) == 2
