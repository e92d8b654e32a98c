"""A question of your own on the eye-state data (4 classes) at 24 px: does more dropout help?

Article 001's CNN puts one Dropout after its first block, at 0.5. Does 0.5
beat 0.25 on best validation accuracy, and does it narrow the gap between
training and validation accuracy (what dropout is for)? Two parts of one
stated claim, judged like the articles' claims: paired on seed, one value
per seed, Holm over both parts, rounds of seeds while a part is undecided.

    python -m search.run sweeps/eyes_own_claim.py --data ../shared/datasets/eyes
"""

from search import BreastCancerCNN, Compare, ImageFolder, Sweep

WHY = ("2 accuracy points: one run moves by 1-3 points from seed to seed here, and a smaller gain would not "
       "change anyone's choice of dropout")

sweep = Sweep(
    name="eyes_own_claim",
    description="your own claim on eye state at 24 px: dropout 0.5 vs 0.25",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=BreastCancerCNN,
    image_size=24,
    tuner="grid",
    epochs=8,
    seeds="auto",  # Seeds(3, 20): rounds of seeds while a part is undecided
    early_stopping=None,
    claims=(
        Compare("dropout", 0.5, 0.25, expect="higher", metric="best_val_accuracy", margin=0.02, why=WHY)
        .also(expect="lower", metric="train_val_gap", margin=0.02,
              why="2 points of train-validation gap: the scale of the accuracies it is the difference of"),
    ),
)
