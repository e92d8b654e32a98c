"""Article 003: 17 Hollywood stars (1,800 images), the article CNN tuned.

The article trains one average-pooling CNN with ExponentialDecay(1e-4, 60,
0.96) and early stopping (patience 20) to 0.3667 validation accuracy. This
sweep searches pooling, dropout, batch size and the initial learning rate
around that set-up with Keras Tuner's random search.
"""

from search import EarlyStopping, HollywoodCNN, ImageFolder, Range, Sweep

sweep = Sweep(
    name="hollywood",
    description="article 003: pooling, dropout, batch size and learning rate on 17 Hollywood stars",
    data=ImageFolder("data/hollywood", validation_split=0.1, seed=123, label_mode="categorical"),
    hypermodel=HollywoodCNN,
    image_size=224,
    space={
        "pooling_1": ["avg", "max"],
        "pooling_2": ["avg", "max"],
        "pooling_3": ["avg", "max"],
        "dropout": [0.3, 0.5],
        "batch_size": [16, 32, 64],
        "learning_rate": Range(1e-4, 1e-3, log=True),
    },
    tuner="random",
    max_trials=10,
    epochs=100,
    seeds=1,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=20),
)
