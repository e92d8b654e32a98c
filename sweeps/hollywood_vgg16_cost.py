"""Article 003's abandoned alternative: VGG16 from scratch against the article CNN.

The article found VGG16 (134M parameters) "extremely slow" on the 17 stars
and gave up. The vgg16-cost claim compares seconds per epoch, so one epoch
of each model per seed is enough; accuracy after one epoch means nothing
here and is not judged. A VGG16 epoch at 224 px takes 15-25 minutes on 2
CPU cores, so seeds come in rounds (`Seeds`): 3 first, more only if the
claim is still undecided.
"""

from search import HollywoodCNN, ImageFolder, Seeds, Sweep

sweep = Sweep(
    name="hollywood_vgg16_cost",
    description="article 003: seconds per epoch of VGG16 from scratch vs the article CNN, one epoch each",
    data=ImageFolder("data/hollywood", validation_split=0.1, seed=123, label_mode="categorical"),
    hypermodel=HollywoodCNN,
    image_size=224,
    space={"model": ["article", "vgg16"]},
    tuner="grid",
    epochs=1,
    seeds=Seeds(min=3, max=10),
    early_stopping=None,
    claims=("vgg16-cost",),
)
