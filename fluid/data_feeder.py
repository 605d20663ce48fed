"""``DataFeeder``: turns a minibatch (a list of per-sample tuples) into the feed dict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .framework import Variable

__all__ = ["DataFeeder"]


class DataFeeder:
    """``feeder.feed([(image, label), ...])`` → ``{"image": [N, ...], "label": [N, 1]}``.

    Each column is stacked and reshaped to the variable's shape (batch dim inferred), so a
    label given as a plain int becomes ``[N, 1]`` as Paddle does.
    """

    def __init__(self, feed_list: Sequence[Variable | str], place=None, program=None) -> None:
        from .framework import default_main_program

        program = program or default_main_program()
        self.feed_vars = [
            v if isinstance(v, Variable) else program.global_block().var(v) for v in feed_list
        ]
        self.place = place

    def feed(self, iterable: Iterable[Sequence]) -> dict[str, np.ndarray]:
        samples = list(iterable)
        result = {}
        for index, var in enumerate(self.feed_vars):
            tail = list(var.shape[1:])
            static = all(d >= 0 for d in tail)
            column = []
            for sample in samples:
                if len(sample) != len(self.feed_vars):
                    raise ValueError(
                        f"each sample needs {len(self.feed_vars)} fields "
                        f"({[v.name for v in self.feed_vars]}), got {len(sample)}"
                    )
                value = np.asarray(sample[index], dtype=var.dtype)
                column.append(value.reshape(tail) if static else value)
            result[var.name] = np.stack(column)
        return result
