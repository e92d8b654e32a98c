"""Article 003's reference result: its CNN at its own settings, several seeds.

The article trains HollywoodCNN (average pooling, ExponentialDecay(1e-4, 60,
0.96), batch 32) at 224 px for up to 100 epochs with early stopping
(patience 20) and reports 0.3667 validation accuracy, stopping near epoch
63. Nothing is tuned: every seed runs the article's model, so the
hollywood-baseline claim is judged on the spread over seeds. Hours on a
CPU: on 2 cores an epoch took 19 s (TensorFlow, cores to itself) to 55 s
(cores shared), and runs stopped after 62-91 epochs, so 5 seeds take 2-7
hours; minutes on a GPU.
"""

from search import EarlyStopping, HollywoodCNN, ImageFolder, Sweep

sweep = Sweep(
    name="hollywood_baseline",
    description="article 003 reproduced: the article CNN at its defaults, 224 px, early stopping (patience 20)",
    data=ImageFolder("data/hollywood", validation_split=0.1, seed=123, label_mode="categorical"),
    hypermodel=HollywoodCNN,
    image_size=224,
    space={},
    tuner="grid",
    epochs=100,
    seeds=5,
    early_stopping=EarlyStopping(monitor="val_accuracy", min_delta=0.001, patience=20),
    claims=("hollywood-baseline",),
)
