"""Per-pass verification: rerun the model after every pass and name the first pass that drifts.

The model is run once before any pass on seeded random inputs (or the caller's feeds); after
each pass it is run again on the same inputs and every output is compared with the original
ones, ``|got - want| <= atol + rtol * |want|``. onnxruntime (all of its own graph
optimizations off) runs the model when it is installed, because ``onnx.reference`` is pure
Python and takes minutes on an ImageNet-size network; without onnxruntime, or with
``backend="reference"``, the ONNX reference evaluator runs it. The error says which one ran.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np
import onnx_ir as ir

from ..errors import PassVerificationError
from ..runtime.random_input import random_array

__all__ = ["VerifyConfig", "Verifier"]


@dataclass
class VerifyConfig:
    rtol: float = 1e-3
    atol: float = 1e-4
    feeds: dict[str, np.ndarray] | None = None
    seed: int = 0
    backend: str = "auto"  # "auto" (onnxruntime if installed), "onnxruntime" or "reference"


def random_feeds(model: ir.Model, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded inputs for every graph input; symbolic dims are 1, integers lie in [0, 10)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for value in model.graph.inputs:
        dims = list((value.shape or ir.Shape([])).dims)
        dtype = value.dtype.numpy() if value.dtype is not None else np.dtype(np.float32)
        feeds[value.name] = random_array(rng, dims, dtype)
    return feeds


class Verifier:
    """Holds the original outputs; :meth:`check` compares a rewritten model against them."""

    def __init__(self, model: ir.Model, config: VerifyConfig | None = None) -> None:
        self.config = config or VerifyConfig()
        self.backend = self._pick_backend(self.config.backend)
        self.feeds = self.config.feeds or random_feeds(model, self.config.seed)
        self.names = [value.name for value in model.graph.outputs]
        self.expected = self._run(model, "the original model")
        self.max_errors: dict[str, float] = {}  # pass name → max abs error over outputs

    @staticmethod
    def _pick_backend(choice: str) -> str:
        if choice == "auto":
            found = importlib.util.find_spec("onnxruntime") is not None
            return "onnxruntime" if found else "reference"
        if choice not in ("onnxruntime", "reference"):
            raise ValueError(f"unknown verification backend {choice!r}")
        return choice

    def _run(self, model: ir.Model, stage: str) -> list[np.ndarray]:
        proto = ir.to_proto(model)
        try:
            if self.backend == "onnxruntime":
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                options.log_severity_level = 3  # no warnings about initializers left unused
                session = ort.InferenceSession(proto.SerializeToString(), options,
                                               providers=["CPUExecutionProvider"])
                return session.run(self.names, self.feeds)
            from onnx.reference import ReferenceEvaluator

            return ReferenceEvaluator(proto).run(self.names, self.feeds)
        except Exception as exc:  # noqa: BLE001 - any failure to run is the finding
            raise PassVerificationError(
                f"{stage} does not run under {self.backend}: {type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from exc

    def check(self, model: ir.Model, pass_name: str) -> float:
        """Run ``model``; raise :class:`PassVerificationError` naming ``pass_name``."""
        got = self._run(model, f"after pass {pass_name!r} the model")
        worst = 0.0
        for name, want, have in zip(self.names, self.expected, got):
            problem = self._compare(want, np.asarray(have))
            if isinstance(problem, str):
                raise PassVerificationError(
                    f"pass {pass_name!r} changed output {name!r} beyond "
                    f"rtol={self.config.rtol}, atol={self.config.atol} ({self.backend}, "
                    f"{'given' if self.config.feeds else f'random seed {self.config.seed}'} "
                    f"inputs): {problem}")
            worst = max(worst, problem)
        self.max_errors[pass_name] = worst
        return worst

    def _compare(self, want: np.ndarray, have: np.ndarray) -> float | str:
        """The max abs error, or a sentence describing the drift when beyond tolerance."""
        if want.shape != have.shape or want.dtype != have.dtype:
            return f"now {have.dtype}{list(have.shape)}, was {want.dtype}{list(want.shape)}"
        if want.dtype.kind not in "fc":
            if np.array_equal(want, have):
                return 0.0
            return f"{int(np.sum(want != have))} of {want.size} elements differ"
        want64, have64 = want.astype(np.float64), have.astype(np.float64)
        error = np.abs(have64 - want64)
        error[np.isnan(want64) & np.isnan(have64)] = 0.0
        allowed = self.config.atol + self.config.rtol * np.abs(want64)
        outside = np.flatnonzero(~(error <= allowed))  # NaN against a number counts as outside
        if outside.size == 0:
            return float(error.max()) if error.size else 0.0
        score = np.where(np.isnan(error), np.inf, error).reshape(-1)
        bad = np.unravel_index(outside[np.argmax(score[outside])], want.shape)
        return (f"max abs error {float(score.max()):.3g} ({outside.size} of {want.size} "
                f"elements out of tolerance; at {tuple(int(i) for i in bad)} got "
                f"{have64[bad]:.6g}, expected {want64[bad]:.6g})")
