"""A question of your own on the 17 Hollywood stars at 64 px: is the article's learning rate too small?

Article 003 starts ExponentialDecay at 1e-4. In a 15-epoch budget at 64 px,
does 1e-3 reach a higher best validation accuracy? A stated claim, judged
like the articles' (paired on seed, rounds of seeds while undecided).

    python -m search.run sweeps/hollywood_own_claim.py --data ../shared/datasets/hollywood
"""

from search import Compare, EarlyStopping, HollywoodCNN, ImageFolder, Sweep

sweep = Sweep(
    name="hollywood_own_claim",
    description="your own claim on 17 Hollywood stars at 64 px: initial learning rate 1e-3 vs 1e-4",
    data=ImageFolder("data/hollywood", validation_split=0.1, seed=123, label_mode="categorical"),
    hypermodel=HollywoodCNN,
    image_size=64,
    tuner="grid",
    epochs=15,
    seeds="auto",  # Seeds(3, 20): rounds of seeds while a part is undecided
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=20),
    claims=(
        Compare("learning_rate", 1e-3, 1e-4, expect="higher", metric="best_val_accuracy", margin=0.02,
                why="2 accuracy points (under 4 of the 180 validation images): a smaller gain would not make "
                    "anyone change the article's schedule"),
    ),
)
