"""Article 004's structure and learning-rate claims on the eye-state data at 24 px.

The 001 CNN (three conv blocks, each with max pooling, `same` padding) is
the eyes' reference model (about 0.90 validation accuracy). The claims add
what they need: a fourth conv block (depth-overfit, fit-rule), the last
block with and without its pooling (more-pooling-hurts, fit-rule) and a
learning rate ten times below and above the article's 1e-3
(learning-rate): 8 configurations, each with 3 seeds first and more, up to
10, while a claim is undecided. 8 epochs, as `eyes_claims.py`.
"""

from search import BreastCancerCNN, ImageFolder, Seeds, Sweep

sweep = Sweep(
    name="eyes_structure",
    description="article 004's depth, pooling-count and learning-rate claims on eye state at 24 px",
    data=ImageFolder("data/eyes", validation_split=0.2, seed=12),
    hypermodel=BreastCancerCNN,
    image_size=24,
    space={"batch_size": 32},
    tuner="grid",
    epochs=8,
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("depth-overfit", "more-pooling-hurts", "fit-rule", "learning-rate"),
)
