"""What the predictor API adds over ``Model.run`` on one artifact, in one process.

    .venv/bin/python -m paddlec.bench.predictor_overhead ARTIFACT [--batch 1] [--threads 2]

Both paths get the same inputs (those ``paddlec bench`` uses): ``Model.run(feed)`` and the
Paddle-style sequence ``copy_from_cpu``, ``run()``, ``copy_to_cpu()`` (first output) on a
predictor of the same artifact.
Calls alternate (``stats.interleaved_times``) and the outputs are checked to be equal first.
Prints both medians, their difference (the predictor's overhead) and the paired ratio with a
95 % bootstrap interval. Needs a model with one input.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from .runner import _feeds
from .stats import interleaved_times, paired_speedup


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("artifact")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)

    from .. import runtime
    from ..inference import Config, create_predictor

    model = runtime.load(args.artifact, num_threads=args.threads)
    config = Config(args.artifact)
    config.set_cpu_math_library_num_threads(args.threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # this script reports numbers, not setup advice
        predictor = create_predictor(config)
    feed = _feeds(model.inputs, args.batch)  # the inputs `paddlec bench` times
    handles = [(predictor.get_input_handle(name), array) for name, array in feed.items()]
    name = model.output_names[0]
    output = predictor.get_output_handle(name)

    def via_model():
        return model.run(feed)[name]

    def via_predictor():
        for handle, array in handles:
            handle.copy_from_cpu(array)
        predictor.run()
        return output.copy_to_cpu()

    np.testing.assert_array_equal(via_model(), via_predictor())
    times = interleaved_times([via_predictor, via_model], args.rounds, args.warmup)
    ours, base = np.median(times[0]) * 1e3, np.median(times[1]) * 1e3
    ratio, low, high = paired_speedup(times[0], times[1])
    print(f"Model.run {base:.3f} ms  predictor {ours:.3f} ms  overhead {ours - base:+.3f} ms  "
          f"predictor/Model.run {ratio:.4f} (95 % CI {low:.4f}-{high:.4f}), batch {args.batch}, "
          f"{args.threads} threads, {args.rounds} rounds")


if __name__ == "__main__":
    main()
