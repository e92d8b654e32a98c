"""The five tutorial articles' claims, each with the contrast and measurement it needs.

Each claim cites its article by number (001-005), the numbers the README's
table of sweep files uses.

A claim has one or more parts; each part compares two sides of a contrast
on one metric (or reads one value per run) and says which sign of
(treatment - baseline) the article predicts. Every part states its margin,
the smallest effect the sentence cares about, and why: a difference whose
whole 95% interval lies within +-margin is "no meaningful difference"
(`claims.stats`). A claim holds when every part does; `verdicts` names the
part that decided it. `untested` lists the parts of the sentence no part
measures, so a reader knows what a "supported" does not cover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from claims.contrasts import Contrast, ExtraPooling, Extremes, ModelChoice, PoolingType

# Margins, with the reason each is that size (shown beside every verdict).
ACCURACY = 0.02
ACCURACY_WHY = ("2 accuracy points: the articles pick models on differences of several points (0.88 vs 0.92 in "
                "article 004) and one run moves by 1-3 points from seed to seed; a smaller gain is not worth a "
                "change of architecture or set-up")
GAP_WHY = "2 points of train-validation gap: the same scale as the accuracies it is the difference of"
EPOCH_WHY = "1 epoch: the unit training is stopped at; a smaller difference changes no one's training budget"
FAIL_WHY = "1 run in 10: a failure rate below that would not change which learning rate a reader picks"
SPEED_WHY = "2x (log 2 = 0.69): 'far slower' means at least twice the seconds per epoch"
LR_WHY = "1e-6 of the initial rate: rounding of the logged float32 rate"
HOLLYWOOD_WHY = "0.05: 'about 0.36' is read as within 5 points of the article's 0.3667 (9 of its 180 validation images)"


# What each claim's contrast adds to a sweep's space, given the sweep's model
# class (search.sweep.schedule merges it in). Read by duck typing, so the claims
# need no model code: an article CNN has `blocks`, each with a `pooling`.
Schedule = Callable[[Any], dict[str, list]]


def _blocks(model: Any) -> tuple:
    return tuple(getattr(model, "blocks", None) or ())


def pooling_types(model: Any) -> dict[str, list]:
    return {f"pooling_{i}": ["avg", "max"] for i, b in enumerate(_blocks(model), start=1) if b.pooling != "none"}


def depth(model: Any) -> dict[str, list]:
    blocks = _blocks(model)
    return {"conv_blocks": [len(blocks), len(blocks) + 1]} if blocks else {}


def extra_pooling(model: Any) -> dict[str, list]:
    blocks = _blocks(model)
    if not blocks:
        return {}
    last = blocks[-1].pooling
    return {f"pooling_{len(blocks)}": [last, "none" if last != "none" else "max"]}


def batch_sizes(model: Any) -> dict[str, list]:
    return {"batch_size": [max(8, model.batch_size // 2), model.batch_size * 4]}


def learning_rates(model: Any) -> dict[str, list]:
    return {"learning_rate": [model.learning_rate / 10, model.learning_rate * 10]}


def model_choice(model: Any) -> dict[str, list]:
    return {"model": ["article", "vgg16"]} if _blocks(model) else {}


def nothing(model: Any) -> dict[str, list]:
    return {}


@dataclass(frozen=True)
class Part:
    label: str  # what this part of the sentence says, in a few words
    contrast: Contrast | None  # None: measured within each run (no pairs of runs)
    metric: str  # a name in claims.measure.METRICS
    sign: int  # +1: treatment above baseline supports the claim; -1: below; 0: equals Claim.reference
    margin: float  # smallest effect of interest, in metric units (for sign 0: the tolerance around the reference)
    why: str  # the reason for the margin, in words
    accuracy_units: bool = True  # the margin is a difference of accuracies (so the data's resolution applies)
    reference: float | None = None  # sign 0: the value expected (else the claim's); for a contrast, of the difference


@dataclass(frozen=True)
class Claim:
    id: str
    source: str
    sentence: str
    parts: tuple[Part, ...]
    needs: str  # what the sweep must vary, in words for the user
    schedule: Schedule = nothing  # the same, as values added to a sweep's space (search.sweep.schedule)
    notes: str = ""
    untested: tuple[str, ...] = ()  # parts of the sentence no part measures
    reference: float | None = None  # an article value, for sign-0 parts
    model: str | None = None  # the claim is about this article model only
    # Use only runs with the article's own settings: every hyperparameter at
    # its article value, at least the article's epochs (early stopping may end
    # a run sooner) and, if given, the article's image size.
    at_article_defaults: bool = False
    image_size: int | None = None
    confounded_with_size: bool = False  # say both sides' parameter counts in the note
    stated: bool = False  # the user's own claim (`claims.stated`), not an article's


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "pooling-texture", "004, 002",
        "Max pooling beats average pooling on images where texture and edges matter; average keeps background but blurs.",
        (Part("all-max beats all-average pooling", PoolingType("max"), "best_val_accuracy", +1, ACCURACY, ACCURACY_WHY),),
        needs="every pooling layer avg and max",
        schedule=pooling_types,
        untested=("average keeps background but blurs",),
    ),
    Claim(
        "mixed-pooling", "004",
        "One average + one max pooling layer beats two average pooling layers.",
        (Part("average-then-max beats all-average pooling", PoolingType("mixed"), "best_val_accuracy", +1,
              ACCURACY, ACCURACY_WHY),),
        needs="every pooling layer avg and max",
        schedule=pooling_types,
        notes="the mix is article 004's: an average pooling layer first, max pooling after it",
    ),
    Claim(
        "depth-overfit", "004",
        "More conv layers generally improve accuracy but overfit more (larger train/validation gap).",
        (
            Part("deeper is more accurate", Extremes("conv_blocks"), "best_val_accuracy", +1, ACCURACY, ACCURACY_WHY),
            Part("deeper overfits more", Extremes("conv_blocks"), "train_val_gap", +1, ACCURACY, GAP_WHY),
        ),
        needs="conv_blocks: the article's depth and one more",
        schedule=depth,
        notes="depth is confounded with parameter count: an extra block doubles the filters and changes the "
              "dense layer's input",
        confounded_with_size=True,
    ),
    Claim(
        "more-pooling-hurts", "004",
        "More pooling layers can lower accuracy.",
        (Part("an extra pooling layer lowers accuracy", ExtraPooling(), "best_val_accuracy", -1, ACCURACY,
              ACCURACY_WHY),),
        needs="the last conv block with and without pooling",
        schedule=extra_pooling,
    ),
    Claim(
        "fit-rule", "004",
        "Underfitting: add conv layers; overfitting: add pooling layers.",
        (
            Part("more conv layers fit the training set better", Extremes("conv_blocks"), "final_train_accuracy", +1,
                 ACCURACY, ACCURACY_WHY),
            Part("an extra pooling layer narrows the train/val gap", ExtraPooling(), "train_val_gap", -1, ACCURACY,
                 GAP_WHY),
        ),
        needs="conv_blocks and the last block's pooling",
        schedule=lambda m: {**depth(m), **extra_pooling(m)},
        untested=("whether the runs under- or overfit to begin with (the rule's condition)",),
        confounded_with_size=True,
    ),
    Claim(
        "batch-size", "004",
        "Larger batches converge in fewer epochs and more steadily but reach lower accuracy; smaller batches reach higher accuracy.",
        (
            Part("larger batches converge in fewer epochs", Extremes("batch_size"), "epochs_to_target", -1, 1.0,
                 EPOCH_WHY, accuracy_units=False),
            Part("larger batches end less accurate", Extremes("batch_size"), "final_val_accuracy", -1, ACCURACY,
                 ACCURACY_WHY),
        ),
        needs="batch_size: a small and a large value",
        schedule=batch_sizes,
        notes="epochs to converge: the first epoch at 95% of the median best validation accuracy of the runs "
              "compared (one target for all); a run that never gets there counts as its budget + 1",
        untested=("more steadily",),
    ),
    Claim(
        "learning-rate", "004",
        "A large learning rate learns faster but may not converge; a small one is slow and may get stuck.",
        (
            Part("a larger rate learns faster (validation accuracy after epoch 1)", Extremes("learning_rate"),
                 "first_epoch_val_accuracy", +1, ACCURACY, ACCURACY_WHY),
            Part("a larger rate fails to converge more often (NaN loss, or no better than the largest class)",
                 Extremes("learning_rate"), "did_not_converge", +1, 0.1, FAIL_WHY, accuracy_units=False),
        ),
        needs="learning_rate: a small and a large value",
        schedule=learning_rates,
        untested=("a small rate may get stuck",),
    ),
    Claim(
        "lr-resets-each-epoch", "004",
        "ExponentialDecay resets the learning rate to its initial value at the start of every epoch.",
        (Part("logged rate at a later epoch's start equals the initial rate", None, "lr_start_drop", 0, 1e-6, LR_WHY,
              accuracy_units=False),),
        needs="any run with decay_rate < 1 that trains past decay_steps",
        notes="decided from the learning rate logged at the start of each epoch; Keras decays per optimizer step",
        reference=0.0,
    ),
    Claim(
        "more-epochs-hurt", "002",
        "Training 100 epochs instead of 10 lowered test accuracy on CIFAR-10.",
        (Part("validation accuracy after epoch 100 below the one after epoch 10", None, "epoch_100_minus_10", -1,
              ACCURACY, ACCURACY_WHY),),
        needs="runs of 100 epochs without early stopping, as in the article",
        notes="the validation set stands in for the article's test set",
    ),
    Claim(
        "hollywood-baseline", "003",
        "The article CNN reaches about 0.36 validation accuracy on the 17 stars, with early stopping near epoch 60.",
        (Part("best validation accuracy within 0.05 of 0.3667", None, "best_val_accuracy", 0, 0.05, HOLLYWOOD_WHY),),
        needs="the article's HollywoodCNN at its defaults on the Hollywood data, 224 px",
        untested=("early stopping near epoch 60",),
        reference=0.3667,
        model="HollywoodCNN",
        at_article_defaults=True,
        image_size=224,
    ),
    Claim(
        "vgg16-cost", "003",
        "VGG16 from scratch (134M params) is far slower than the article CNN for this data.",
        (Part("VGG16 takes more seconds per epoch (log ratio)", ModelChoice(), "log_seconds_per_epoch", +1,
              math.log(2), SPEED_WHY, accuracy_units=False),),
        needs="model: article and vgg16",
        schedule=model_choice,
        confounded_with_size=True,
    ),
)

BY_ID = {c.id: c for c in CLAIMS}
