"""Hyperparameter sweeps over the article CNNs and VGG16 with Keras Tuner.

A sweep file imports what it needs from here:

    from search import Sweep, ImageFolder, SneakersCNN
"""

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notices) buries
# the progress lines; real errors still surface as Python exceptions.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from search.data import Cifar10, Digits, ImageData, ImageFolder, TrainTestFolders
from search.errors import SweepError
from search.hypermodels import (
    VGG16,
    BreastCancerCNN,
    Cifar10CNN,
    DigitsCNN,
    HollywoodCNN,
    SneakersCNN,
)
from search.pruning import MedianStopping
from search.sweep import EarlyStopping, Range, Sweep

__all__ = [
    "Sweep", "Range", "EarlyStopping", "MedianStopping", "SweepError",
    "ImageFolder", "TrainTestFolders", "Digits", "Cifar10", "ImageData",
    "SneakersCNN", "HollywoodCNN", "Cifar10CNN", "BreastCancerCNN", "DigitsCNN", "VGG16",
]
