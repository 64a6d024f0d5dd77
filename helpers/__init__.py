"""Shared code behind the PlantVillage PyTorch course notebooks.

The notebooks teach a concept first, then switch to the function kept here:
``helpers.config`` (device, seeds, course mode), ``helpers.data`` (the data code, one
module per concern: FashionMNIST, tiny data, finding PlantVillage, data sets, splits,
transforms, loaders), ``helpers.plantvillage`` (the PlantVillage API in one import),
``helpers.engine`` (train / evaluate / fit), ``helpers.checkpoint``, ``helpers.metrics``,
``helpers.plots``, ``helpers.models``, ``helpers.train`` (the training command),
``helpers.runs`` (a finished run read back), ``helpers.predict`` (one photo in, top-k out) and
``helpers.bench`` (benchmarks; ``helpers.gpubench`` is its ``gpu`` subcommand).
"""

__version__ = "0.1.0"
