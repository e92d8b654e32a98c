"""Article 004's structure and learning-rate claims on Fashion-MNIST (10 classes, 28 px).

The same study as `eyes_structure.py` on a second real data set: the 001
CNN with a fourth conv block or not, its last pooling layer or not, and a
learning rate ten times below and above its 1e-3. 500 training and 500
test images per class (5,000 + 5,000: one validation image is 0.02
points), 8 epochs, 3 seeds first and up to 10.
"""

from search import BreastCancerCNN, FashionMNIST, Seeds, Sweep

sweep = Sweep(
    name="fashion_structure",
    description="article 004's depth, pooling-count and learning-rate claims on Fashion-MNIST at 28 px",
    data=FashionMNIST(per_class=500, val_per_class=500),
    hypermodel=BreastCancerCNN,
    image_size=28,
    space={"batch_size": 32},
    tuner="grid",
    epochs=8,
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("depth-overfit", "more-pooling-hurts", "fit-rule", "learning-rate"),
)
