"""Step 2, the models: the article CNNs and VGG16 as Keras Tuner HyperModels.

`articles` reads like the articles' layer lists; `own` wraps a user's own
`build(hp)` so it sweeps the same way.
"""
