"""Shared code behind the PlantVillage PyTorch course notebooks.

The notebooks teach a concept first, then switch to the function kept here:
``helpers.config`` (device, seeds, course mode), ``helpers.data`` (FashionMNIST and
tiny data), ``helpers.plantvillage`` (the leaf data set), ``helpers.engine``
(train / evaluate / fit), ``helpers.checkpoint``, ``helpers.metrics``,
``helpers.plots``, ``helpers.models`` and ``helpers.train`` (the training command).
"""

__version__ = "0.1.0"
