"""The claims of ARTICLES.md, each with the contrast and measurement it needs.

A claim has one or more parts; each part compares two sides of a contrast
on one metric and says which sign of (treatment - baseline) the article
predicts. A claim holds when every part does (see `stats.combine`).
"""

from __future__ import annotations

from dataclasses import dataclass

from claims.contrasts import Contrast, ExtraPooling, Extremes, ModelChoice, PoolingType


@dataclass(frozen=True)
class Part:
    label: str  # what this part of the sentence says, in a few words
    contrast: Contrast | None  # None: measured within each run (no pairs of runs)
    metric: str  # a name in claims.measure.METRICS
    sign: int  # +1: treatment above baseline supports the claim; -1: below; 0: equals Claim.reference
    margin: float = 0.0  # how far beyond zero the interval must lie (in metric units)


@dataclass(frozen=True)
class Claim:
    id: str
    source: str
    sentence: str
    parts: tuple[Part, ...]
    needs: str  # what the sweep must vary, for the user and for `schedule`
    notes: str = ""
    reference: float | None = None  # an article value, for baseline claims
    tolerance: float = 0.0
    model: str | None = None  # the claim is about this article model only
    # Use only runs with the article's own settings: every hyperparameter at
    # its article value, at least the article's epochs (early stopping may end
    # a run sooner) and, if given, the article's image size.
    at_article_defaults: bool = False
    image_size: int | None = None


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "pooling-texture", "004, 002",
        "Max pooling beats average pooling on images where texture and edges matter; average keeps background but blurs.",
        (Part("all-max beats all-average pooling", PoolingType("max"), "best_val_accuracy", +1),),
        needs="every pooling layer avg and max",
    ),
    Claim(
        "mixed-pooling", "004",
        "One average + one max pooling layer beats two average pooling layers.",
        (Part("mixed beats all-average pooling", PoolingType("mixed"), "best_val_accuracy", +1),),
        needs="every pooling layer avg and max",
    ),
    Claim(
        "depth-overfit", "004",
        "More conv layers generally improve accuracy but overfit more (larger train/validation gap).",
        (
            Part("deeper is more accurate", Extremes("conv_blocks"), "best_val_accuracy", +1),
            Part("deeper overfits more", Extremes("conv_blocks"), "train_val_gap", +1),
        ),
        needs="conv_blocks: the article's depth and one more",
    ),
    Claim(
        "more-pooling-hurts", "004",
        "More pooling layers can lower accuracy.",
        (Part("an extra pooling layer lowers accuracy", ExtraPooling(), "best_val_accuracy", -1),),
        needs="the last conv block with and without pooling",
    ),
    Claim(
        "fit-rule", "004",
        "Underfitting: add conv layers; overfitting: add pooling layers.",
        (
            Part("more conv layers fit the training set better", Extremes("conv_blocks"), "final_train_accuracy", +1),
            Part("an extra pooling layer narrows the train/val gap", ExtraPooling(), "train_val_gap", -1),
        ),
        needs="conv_blocks and the last block's pooling",
    ),
    Claim(
        "batch-size", "004",
        "Larger batches converge in fewer epochs and more steadily but reach lower accuracy; smaller batches reach higher accuracy.",
        (
            Part("larger batches converge in fewer epochs", Extremes("batch_size"), "epochs_to_95", -1),
            Part("larger batches end less accurate", Extremes("batch_size"), "best_val_accuracy", -1),
        ),
        needs="batch_size: a small and a large value",
    ),
    Claim(
        "learning-rate", "004",
        "A large learning rate learns faster but may not converge; a small one is slow and may get stuck.",
        (Part("a larger rate learns faster (validation accuracy after epoch 1)", Extremes("learning_rate"),
              "first_epoch_val_accuracy", +1),),
        needs="learning_rate: a small and a large value",
        notes="'may not converge' and 'may get stuck' are hedged and not tested.",
    ),
    Claim(
        "lr-resets-each-epoch", "004",
        "ExponentialDecay resets the learning rate to its initial value at the start of every epoch.",
        (Part("logged rate at a later epoch's start equals the initial rate", None, "lr_start_drop", 0),),
        needs="any run with decay_rate < 1 that trains past decay_steps",
        notes="decided from the learning rate logged at the start of each epoch; Keras decays per optimizer step.",
        reference=0.0,
        tolerance=1e-6,
    ),
    Claim(
        "more-epochs-hurt", "002",
        "Training 100 epochs instead of 10 lowered test accuracy on CIFAR-10.",
        (Part("final validation accuracy below the one at a tenth of the epochs", None, "late_minus_early", -1),),
        needs="runs of at least 20 epochs without early stopping (100 as in the article)",
    ),
    Claim(
        "hollywood-baseline", "003",
        "The article CNN reaches about 0.36 validation accuracy on the 17 stars, with early stopping near epoch 60.",
        (Part("best validation accuracy within 0.05 of 0.3667", None, "best_val_accuracy", 0),),
        needs="the article's HollywoodCNN at its defaults on the Hollywood data, 224 px",
        reference=0.3667,
        tolerance=0.05,
        model="HollywoodCNN",
        at_article_defaults=True,
        image_size=224,
    ),
    Claim(
        "vgg16-cost", "003",
        "VGG16 from scratch (134M params) is far slower than the article CNN for this data.",
        (Part("VGG16 takes over 2x the seconds per epoch", ModelChoice(), "log_seconds_per_epoch", +1, margin=0.6931),),
        needs="model: article and vgg16",
    ),
)

BY_ID = {c.id: c for c in CLAIMS}
