"""Shared code behind the PlantVillage PyTorch course notebooks.

The notebooks teach a concept first, then switch to the function kept here:
``helpers.config`` (device, seeds, course mode), ``helpers.data`` (the data code, one
module per concern: FashionMNIST, tiny data, finding PlantVillage, data sets, splits,
transforms, loaders), ``helpers.plantvillage`` (the PlantVillage API in one import),
``helpers.engine`` (train / evaluate / fit), ``helpers.checkpoint``, ``helpers.metrics``,
``helpers.plots``, ``helpers.models`` and ``helpers.train`` (the training command).
"""

__version__ = "0.1.0"
