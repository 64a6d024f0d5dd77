"""Shared code behind the PlantVillage PyTorch course notebooks: the map, lowest layer first.

* ``config``: device, seeds, course mode, CPU count, folders. ``data/``: every data set, split,
  transform and loader (its ``__init__`` is the map); ``plantvillage``: the PlantVillage API in one
  import (``pv``). ``models`` (the networks), ``macs``, ``mixing`` (mixup/cutmix), ``transfer``,
  ``interpret`` (receptive fields, feature maps, Grad-CAM).
* The training loop: ``engine`` (train / evaluate / fit, the optimiser step), ``checkpoint``,
  ``runs`` (a run folder: its files, ``results.json``, a finished run read back), ``results``
  (a run and the report's numbers, shown), ``metrics``, ``plots``.
* Commands (``python -m helpers.<name>``): ``train`` (one run), ``evaluate`` (a run on the test
  set), ``predict`` (one photo in, top-k out), ``batch`` (a series of runs), ``crossval``,
  ``doctor`` (is this machine ready?), ``notebooks`` (strip, lint), ``data`` (fetch, cache).
* ``bench/``: the benchmarks, ``python -m helpers.bench <name>`` (its ``__init__`` lists them).
* ``exercises/``: the checked exercises, one module per chapter. ``recipes``: named training
  settings; ``course``: every chapter run as its readers run it (``python -m helpers.course``).
* The layers and who may import whom: CONTRIBUTING.md, "Architecture".
"""

__version__ = "0.1.0"
