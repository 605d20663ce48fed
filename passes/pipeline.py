"""The pass pipeline: a flat, ordered list of named passes, each enabled from an -O level.

``run_pipeline`` applies the passes selected by ``opt_level`` (minus ``disabled``) to an
``onnx_ir.Model`` in place and returns one :class:`PassStat` per pass, which the compiler
stores in the manifest and ``paddlec inspect`` shows. With ``verify`` set, the model is run
after every pass and the first pass whose outputs drift raises ``PassVerificationError``
naming it (see ``verify.py``).

Order matters: constant folding first (weights built by ConstantOfShape become initializers,
which the fusions need), then shape inference (the cleanups and MatMul→Gemm read shapes),
then cleanups, then fusions, then dead code elimination of what the fusions left behind.

Levels: -O0 runs nothing; -O1 cleanups that never change numerics; -O2 (default) adds
fusions that are exact up to float rounding; -O3 may change numerics within tolerance.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import onnx_ir as ir
import onnx_ir.passes.common as common

from .batchnorm_to_affine import BatchNormToAffinePass
from .cast_elimination import CastEliminationPass
from .constant_folding import ConstantFoldingPass
from .conv_transpose_to_conv import ConvTransposeToConvPass
from .dropout_elimination import DropoutEliminationPass
from .fold_affine_chain import FoldAffineChainPass
from .fold_matmul_transpose_scale import FoldMatMulTransposeScalePass
from .fuse_conv_add import FuseConvAddPass
from .fuse_conv_bn import FuseConvBatchNormPass
from .fuse_conv_mul import FuseConvMulPass
from .fuse_conv_transpose_bn import FuseConvTransposeBatchNormPass
from .fuse_matmul_add import FuseMatMulAddPass
from .reshape_elimination import ReshapeEliminationPass
from .sum_to_add import SumToAddPass
from .transpose_elimination import TransposeEliminationPass
from .verify import Verifier, VerifyConfig

__all__ = ["PassSpec", "PassStat", "PASSES", "VerifyConfig", "select_passes", "run_pipeline",
           "count_nodes"]

log = logging.getLogger("paddlec.passes")


@dataclass(frozen=True)
class PassSpec:
    """A named pass: ``factory()`` returns a fresh ``onnx_ir`` pass; it runs from ``level`` up."""

    name: str
    level: int
    factory: Callable[[], ir.passes.PassBase]
    summary: str


@dataclass
class PassStat:
    name: str
    nodes_before: int
    nodes_after: int
    modified: bool
    seconds: float
    max_error: float | None = None  # vs the original outputs, when verification ran

    def to_json(self, with_time: bool = True) -> dict:
        data = {
            "name": self.name,
            "nodes_before": self.nodes_before,
            "nodes_after": self.nodes_after,
            "modified": self.modified,
        }
        if self.max_error is not None:
            data["max_error"] = float(f"{self.max_error:.3g}")
        if with_time:  # manifests leave timings out so that they are reproducible
            data["seconds"] = round(self.seconds, 4)
        return data


def _shape_inference() -> ir.passes.PassBase:
    return common.ShapeInferencePass(strict_mode=False)


PASSES: list[PassSpec] = [
    PassSpec("constant_folding", 1, ConstantFoldingPass,
             "y = Op(constants) → initializer; static Shape/Size/Gather(Shape) too"),
    PassSpec("shape_inference", 1, _shape_inference,
             "annotate value shapes and types (onnx.shape_inference; no rewrite)"),
    PassSpec("dropout_elimination", 1, DropoutEliminationPass,
             "y = Dropout(x) in inference mode → x"),
    PassSpec("identity_elimination", 1, common.IdentityEliminationPass,
             "y = Identity(x) → uses of y read x (onnx_ir)"),
    PassSpec("cast_elimination", 1, CastEliminationPass,
             "y = Cast(x, to=type of x) → x"),
    PassSpec("reshape_elimination", 1, ReshapeEliminationPass,
             "Reshape to x's own shape → x; Reshape(Reshape(x)) → Reshape(x)"),
    PassSpec("transpose_elimination", 1, TransposeEliminationPass,
             "Transpose(Transpose(x)) → one Transpose or x"),
    PassSpec("common_subexpression_elimination", 1, common.CommonSubexpressionEliminationPass,
             "two nodes with the same op, attributes and inputs → one (onnx_ir)"),
    PassSpec("deduplicate_initializers", 1, common.DeduplicateInitializersPass,
             "initializers with identical contents → one (onnx_ir)"),
    PassSpec("sum_to_add", 2, SumToAddPass,
             "Sum(a, b, ...) → Add(Add(a, b), ...), which the CPU fast path fuses"),
    PassSpec("fuse_conv_bn", 2, FuseConvBatchNormPass,
             "BN(Conv(x, W, B)) → Conv(x, W*s, (B-m)*s+b)"),
    PassSpec("fuse_conv_transpose_bn", 2, FuseConvTransposeBatchNormPass,
             "BN(ConvTranspose(x, W, B)) → ConvTranspose(x, W', B')"),
    PassSpec("batchnorm_to_affine", 2, BatchNormToAffinePass,
             "BN(x) with no conv before it → Add(Mul(x, s), t)"),
    PassSpec("fold_affine_chain", 3, FoldAffineChainPass,
             "Mul/Add-by-constant chains → one Mul + one Add (reassociates)"),
    PassSpec("fuse_conv_mul", 2, FuseConvMulPass,
             "Mul(Conv(x, W, B), per-channel c) → Conv(x, W*c, B*c)"),
    PassSpec("fuse_conv_add", 2, FuseConvAddPass,
             "Add(Conv(x, W, B), per-channel c) → Conv(x, W, B + c)"),
    PassSpec("conv_transpose_to_conv", 2, ConvTransposeToConvPass,
             "ConvTranspose with kernel == stride → DepthToSpace(Conv 1x1), for oneDNN"),
    PassSpec("fuse_matmul_add", 2, FuseMatMulAddPass,
             "Add(MatMul(a, b), c), 2-D → Gemm(a, b, c)"),
    PassSpec("fold_matmul_transpose_scale", 2, FoldMatMulTransposeScalePass,
             "Gemm(Transpose(a)) → transA; Gemm(Mul(a, s)) → alpha; "
             "Mul(MatMul(a, W), s) → MatMul(a, W*s)"),
    PassSpec("dead_code_elimination", 1, common.RemoveUnusedNodesPass,
             "drop nodes and initializers nothing reads (onnx_ir)"),
    PassSpec("topological_sort", 1, common.TopologicalSortPass,
             "sort nodes so every input is produced first (onnx_ir)"),
]


def count_nodes(model: ir.Model) -> int:
    return sum(1 for _ in ir.traversal.RecursiveGraphIterator(model.graph))


def select_passes(opt_level: int, disabled: Iterable[str] = (),
                  registry: Sequence[PassSpec] | None = None) -> list[PassSpec]:
    """The passes that run at ``opt_level``; unknown names in ``disabled`` raise ValueError."""
    registry = PASSES if registry is None else registry
    disabled = set(disabled)
    unknown = disabled - {spec.name for spec in registry}
    if unknown:
        names = ", ".join(spec.name for spec in registry)
        raise ValueError(f"unknown pass name(s) {sorted(unknown)}; known passes: {names}")
    return [spec for spec in registry if spec.level <= opt_level and spec.name not in disabled]


def run_pipeline(
    model: ir.Model, opt_level: int = 2, disabled: Iterable[str] = (),
    verify: VerifyConfig | None = None, registry: Sequence[PassSpec] | None = None,
) -> list[PassStat]:
    """Run the selected passes on ``model`` in place; return per-pass statistics.

    ``verify`` reruns the model after every pass (see ``verify.py``) and raises
    :class:`paddlec.errors.PassVerificationError` at the first pass that drifts.
    ``registry`` replaces :data:`PASSES` (tests inject a deliberately broken pass this way).
    """
    specs = select_passes(opt_level, disabled, registry)
    verifier = Verifier(model, verify) if verify is not None and specs else None
    stats = []
    for spec in specs:
        before = count_nodes(model)
        start = time.perf_counter()
        result = spec.factory()(model)
        if result.model is not model:
            raise RuntimeError(f"pass {spec.name} returned a new model; passes run in place")
        seconds = time.perf_counter() - start
        error = verifier.check(model, spec.name) if verifier is not None else None
        stats.append(PassStat(spec.name, before, count_nodes(model), bool(result.modified),
                              seconds, error))
        log.debug("pass %-36s %6d -> %6d nodes in %.3fs", spec.name, before,
                  stats[-1].nodes_after, seconds)
    return stats
