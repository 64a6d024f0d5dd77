"""Benchmarks on the machine at hand: ``python -m helpers.bench <subcommand> [options]``.

The library (plain functions that notebooks and tests call) and the command apart:

* :mod:`helpers.bench.fashionmnist`: chapter 8's models and learnpytorch.io's recipe, and the
  thread count to train with (``bench.pick_threads``).
* :mod:`helpers.bench.loader`: the PlantVillage training loader's images/s (``pv.bench_loader``).
* :mod:`helpers.bench.throughput`: the JPEG path against the decoded-image cache.
* :mod:`helpers.bench.modelbench`: one model's training step (speed, peak memory), chapters 11-16.
* :mod:`helpers.bench.gpubench`: the instructor's GPU benchmark, built on the two above.
* :mod:`helpers.bench.cli`: the command, one subcommand per benchmark (all argparse code lives here).

Subcommands::

    python -m helpers.bench fashionmnist [--epochs 3] [--threads N] [--device cuda]
        Train chapter 8's three models (linear, MLP, TinyVGG) and, as the reference row,
        learnpytorch.io's TinyVGG with their exact recipe, in one run on the same in-memory data
        and threads (taking turns epoch by epoch), and print parameters, test accuracy and seconds
        per epoch. Writes runs/bench/fashionmnist.csv and .json.

    python -m helpers.bench loader [--workers 0 4 8] [--batch-size 64] [--augment]
        Images per second of the PlantVillage training loader (helpers.bench.loader).

    python -m helpers.bench throughput [--image-size 256] [--workers N] [--models resnet_minimal]
        Images per second of the JPEG path and the decoded-image cache: uint8 batches, normalised
        batches on the device, and whole training steps (helpers.bench.throughput). Writes
        runs/bench/throughput.csv and .json.

    python -m helpers.bench models [--batch-size 32] [--steps 2] [--models NAME ...]
        Training images/s and peak memory of the five PlantVillage models, each in a fresh
        process (helpers.bench.modelbench). Writes runs/bench/models-<device>-<time>.csv.

    python -m helpers.bench gpu [--batch-size 64] [--budget-s 450] [--smoke]
        On a CUDA machine, in under 8 minutes: every PlantVillage model x {fp32, bf16} x
        {channels-last off, on} (images/s, peak memory) and the torch.compile speed-up
        (helpers.bench.gpubench). Writes runs/bench/gpu-<device>-<time>.csv and .json.

Adding a subcommand: keep the work in a plain function of a library module here, then write
``add_<name>_parser(subparsers)`` in :mod:`helpers.bench.cli` that creates the parser and calls
``parser.set_defaults(func=...)`` with a function taking the parsed arguments and returning an
exit code, and append it to ``cli.SUBCOMMANDS``.
"""
