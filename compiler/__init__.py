"""The compiler: import a model, optimize the IR, lower to TVM Relax, build, write an artifact.

    from paddlec.compiler import compile_model
    compile_model("model.onnx", "build/model", target="llvm -mcpu=native")
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import CompileError, ModelLoadError
from ..runtime.manifest import MANIFEST_NAME

__all__ = ["CompileOptions", "compile_model", "optimize_model"]

log = logging.getLogger("paddlec.compiler")

LIBRARY_NAME = "model.so"


@dataclass
class CompileOptions:
    target: str = "llvm"
    host: str | None = None
    input_shapes: dict[str, list] = field(default_factory=dict)
    opt_level: int = 2
    disabled_passes: tuple[str, ...] = ()
    fast_path: bool = True  # llvm: hand conv/matmul/pool to oneDNN (compiler/cpu)
    winograd: bool = True  # llvm fast path: 3x3 stride-1 convs may run as Winograd F(4,3)
    # llvm fast path: expand -> depthwise -> project chains run as one strip-wise kernel
    fuse_blocks: bool = True
    # llvm fast path: convolution chains with channels in multiples of 16 run on nChw16c
    blocked_layout: bool = True
    records: str | None = None  # llvm: MetaSchedule records from `paddlec tune`
    # llvm with records: per workload "auto" (time tuned TVM vs oneDNN, keep the faster),
    # "library" or "tvm" (force one, for checks); see compiler/cpu/choose.py
    kernel_choice: str = "auto"
    # input name -> value: the input becomes a constant (artifact specialized to that value)
    const_inputs: dict[str, object] = field(default_factory=dict)
    model_file: str | None = None   # Paddle: program file inside (or instead of) the model dir
    params_file: str | None = None  # Paddle: the .pdiparams file
    # TensorRT BYOC (target "tensorrt" / "cuda --byoc tensorrt"); see compiler/tensorrt/
    trt_precision: str = "fp32"  # fp32 | fp16 | int8
    min_subgraph_size: int = 3  # smaller regions stay with TVM (Paddle's default)
    input_shape_ranges: dict[str, tuple] = field(default_factory=dict)  # name: (min,opt,max)
    trt_fallback: bool = False  # also compile each region with TVM for hosts without TRT
    calib_data: str | None = None  # int8: .npz or folder of representative inputs
    build_engines: bool = False  # on a GPU host with TensorRT: prebuild engines/
    trt_workspace_mb: int = 1024
    verify_passes: bool = False  # rerun the model after every pass (passes/verify.py)
    sign: str | None = None  # ed25519 private key (PEM): write manifest.sig (signing.py)


def compile_model(model_path: str | Path, output: str | Path, target: str = "llvm",
                  **options) -> dict:
    """Compile the model at ``model_path`` into the artifact folder ``output``.

    Returns the manifest. Raises a :class:`paddlec.errors.PaddlecError` subclass for every
    failure; nothing is left at ``output`` then.
    """
    import tvm

    if getattr(tvm.base, "_RUNTIME_ONLY", False):
        raise CompileError(
            "TVM was imported in runtime-only mode in this process (paddlec.runtime was used "
            "before the compiler); compile in another process, or import paddlec.compiler "
            "before paddlec.runtime"
        )
    from ..passes import VerifyConfig, run_pipeline
    from .artifact import artifact_writer, write_manifest
    from .build import build_library
    from .frontends import load_model
    from .lowering import lower_to_relax
    from .runtime_functions import check_runtime_functions
    from .shape_ranges import bound_symbolic_dims, dim_ranges
    from .target import parse_target

    opts = CompileOptions(target=target, **options)
    resolved = parse_target(opts.target, opts.host)
    if opts.sign:  # a key that cannot sign fails before the build, not after
        from .signing import load_private_key

        load_private_key(opts.sign)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    source = load_model(model_path, opts.input_shapes, model_file=opts.model_file,
                        params_file=opts.params_file)
    if opts.const_inputs:
        from .const_inputs import bind_constant_inputs

        bind_constant_inputs(source.model, opts.const_inputs)
    timings["import"] = time.perf_counter() - start
    try:
        pass_stats = run_pipeline(source.model, opts.opt_level, opts.disabled_passes,
                                  verify=VerifyConfig() if opts.verify_passes else None)
    except ValueError as exc:
        raise ModelLoadError(str(exc)) from None
    timings["passes"] = time.perf_counter() - start - timings["import"]
    lowered = lower_to_relax(source.model)
    ranges = dim_ranges(lowered.mod, dict(opts.input_shape_ranges or {}))
    lowered.mod = bound_symbolic_dims(lowered.mod, ranges)
    with artifact_writer(output) as staging:
        mark = time.perf_counter()
        build_info = build_library(lowered.mod, resolved, staging / LIBRARY_NAME, opts)
        regions = build_info.get("tensorrt", {}).get("regions", [])
        external = check_runtime_functions(
            staging / LIBRARY_NAME, build_info.get("native_libraries", []), resolved.device,
            {region["symbol"] for region in regions} | set(build_info.get("runtime_support", ())))
        timings["build"] = time.perf_counter() - mark
        manifest = write_manifest(staging, {
            "paddlec_version": __version__,
            "tvm_version": tvm.__version__,
            "target": resolved.to_json(),
            "library": LIBRARY_NAME,
            "inputs": [spec.to_json() for spec in lowered.inputs],
            "outputs": [spec.to_json() for spec in lowered.outputs],
            **({"dim_ranges": {name: [values[0], values[-1]] for name, values in ranges.items()}}
               if ranges else {}),
            "source": {"format": source.format, "file": source.files[0].name,
                       "sha256": source.sha256},
            "opt_level": opts.opt_level,
            "passes": [stat.to_json(with_time=False) for stat in pass_stats],
            # resolved by name when the runtime creates the VM (runtime_functions.py)
            "runtime_functions": external,
            **build_info,
        })
        if opts.sign:  # inside the staging folder: a signed artifact appears whole or not
            from .signing import sign_artifact

            sign_artifact(staging, opts.sign)
    log.info("compiled %s for %s in %.1fs (%s)", model_path, resolved.given,
             time.perf_counter() - start, ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    if not (Path(output) / MANIFEST_NAME).is_file():
        raise CompileError(f"{output}: artifact was not written")
    return manifest


def optimize_model(model_path: str | Path, output: str | Path,
                   input_shapes: dict[str, list] | None = None, opt_level: int = 2,
                   disabled_passes: tuple[str, ...] = (), verify_passes: bool = False) -> list:
    """Import ``model_path``, run the pass pipeline and write the result as a standard ONNX
    file at ``output`` (written to a temporary sibling, then renamed: never half-written).

    Returns the per-pass statistics (``paddlec.passes.PassStat``).
    """
    import os
    import tempfile

    import onnx_ir as ir

    from ..passes import VerifyConfig, run_pipeline
    from .frontends import load_model

    source = load_model(model_path, input_shapes or {})
    try:
        stats = run_pipeline(source.model, opt_level, disabled_passes,
                             verify=VerifyConfig() if verify_passes else None)
    except ValueError as exc:
        raise ModelLoadError(str(exc)) from None
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    try:
        ir.save(source.model, temp)
        os.replace(temp, output)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return stats
