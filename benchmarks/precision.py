"""A lever: mixed bfloat16 vs float32 training of an article CNN on the CPU.

The same article model (default hyperparameters but the benchmarks'
constant 1e-3 learning rate, same seed) is trained on
the same few hundred in-memory images once under Keras' global dtype policy
"float32" and once under "mixed_bfloat16" (bf16 compute, float32 weights);
with --repeat N the two alternate N times. Reported: training throughput
(training images / seconds of a steady-state epoch, validation included,
first epoch excluded) and the best validation accuracy of each, to decide
whether bf16 is worth a sweep setting. The CPU's bf16 support is in
`details.cpu_bf16` (AVX512_BF16 / AMX).
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.common import BENCH_SPACE, Measurement, check, cpu_flags, hypermodel_class, median, require_folder

TARGET = ">= 1.25"
POLICIES = ("float32", "mixed_bfloat16")


def _subset(x: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n >= len(y):
        return x, y
    order = np.random.RandomState(seed).permutation(len(y))[:n]
    return x[order], y[order]


def run(args) -> list[Measurement]:
    import keras
    import keras_tuner as kt

    from benchmarks.baseline import bare_fit
    from search.data.sources import ImageFolder, one_hot

    data = require_folder("precision", args.data)
    loaded = ImageFolder(str(data), validation_split=0.2, seed=123, label_mode="categorical").load(args.image_size)
    x, y = _subset(loaded.x_train, loaded.y_train, args.images, seed=1)
    x_val, y_val = _subset(loaded.x_val, loaded.y_val, max(args.images // 4, 1), seed=2)
    k = loaded.num_classes
    y, y_val = one_hot(y, k), one_hot(y_val, k)
    cls = hypermodel_class(args.model)
    epochs = max(args.epochs, 2)

    results: dict[str, dict[str, list]] = {p: {"img_s": [], "best": [], "seconds": []} for p in POLICIES}
    original = keras.mixed_precision.global_policy().name
    try:
        for i in range(max(args.repeat, 1)):
            for policy in (POLICIES if i % 2 == 0 else POLICIES[::-1]):
                print(f"precision: {policy}, repeat {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
                keras.mixed_precision.set_global_policy(policy)
                keras.backend.clear_session()
                keras.utils.set_random_seed(0)
                hypermodel = cls(loaded.input_shape, k, label_mode="categorical")
                hp = kt.HyperParameters()
                hp.Fixed("batch_size", args.batch_size)
                for name, value in BENCH_SPACE.items():  # the benchmarks' constant 1e-3 learning rate
                    if not isinstance(value, list):
                        hp.Fixed(name, value)
                model = hypermodel.build(hp)
                clock, best = bare_fit(model, x, y, x_val, y_val, batch_size=args.batch_size, epochs=epochs)
                seconds = median(clock.steady_seconds())
                results[policy]["seconds"].append(seconds)
                results[policy]["img_s"].append(len(y) / seconds)
                results[policy]["best"].append(best)
                del model
    finally:
        keras.mixed_precision.set_global_policy(original)
        keras.backend.clear_session()

    fp32, bf16 = median(results["float32"]["img_s"]), median(results["mixed_bfloat16"]["img_s"])
    fp32_best, bf16_best = median(results["float32"]["best"]), median(results["mixed_bfloat16"]["best"])
    ratio = bf16 / fp32 if fp32 and bf16 else None
    speed_ok = check(ratio, TARGET)
    accuracy_ok = None if fp32_best is None or bf16_best is None else bf16_best >= fp32_best - args.tolerance
    flags = cpu_flags()
    return [Measurement(
        name="precision",
        data=f"{data}: {len(y)} train / {len(y_val)} val images in memory, {args.model}, learning rate 1e-3",
        metric="training throughput (train images per steady-state epoch second, validation included)",
        unit="img/s",
        baseline_is="float32 policy",
        ours_is="mixed_bfloat16 policy",
        baseline=fp32,
        ours=bf16,
        ratio=ratio,
        ratio_means="mixed_bfloat16 / float32 images per second",
        target=TARGET,
        passed=None if speed_ok is None or accuracy_ok is None else (speed_ok and accuracy_ok),
        image_size=args.image_size,
        trials=1,
        epochs=epochs,
        baseline_best=fp32_best,
        ours_best=bf16_best,
        details={
            "speed_ok": speed_ok,
            "accuracy_ok": accuracy_ok,
            "accuracy_tolerance": args.tolerance,
            "repeats": max(args.repeat, 1),
            "float32": results["float32"],
            "mixed_bfloat16": results["mixed_bfloat16"],
            "batch_size": args.batch_size,
            "cpu_bf16": sorted(f for f in flags if "bf16" in f or f.startswith("amx")),
        },
    )]
