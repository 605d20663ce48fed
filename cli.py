"""The ``paddlec`` command line: thin click commands over the library.

Exit codes: 0 ok, 2 bad usage or bad input (a typed PaddlecError the user can fix),
1 internal error. TVM tracebacks are shown only with ``--verbose``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

import click

from .errors import PaddlecError

__all__ = ["main", "cli"]


class _Group(click.Group):
    """Turns exceptions into one-line messages and the documented exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PaddlecError as exc:
            _report(ctx, exc)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # an internal error: keep the message, hide the traceback
            _report(ctx, exc, internal=True)
            ctx.exit(1)


def _report(ctx: click.Context, exc: BaseException, internal: bool = False) -> None:
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    if verbose:
        traceback.print_exception(exc)
    prefix = "internal error" if internal else "error"
    click.echo(f"{prefix}: {type(exc).__name__}: {exc}" if internal else f"{prefix}: {exc}",
               err=True)
    if internal and not verbose:
        click.echo("(run with --verbose for the traceback)", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and full tracebacks.")
@click.version_option(package_name="paddlec")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """paddlec: compile trained networks (Paddle, ONNX) into fast, self-describing artifacts."""
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@cli.command("compile")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-t", "--target", default="llvm", show_default=True,
              help="Target as typed for TVM: 'llvm -mcpu=...', 'native', 'cuda -arch=sm_80'.")
@click.option("--host", default=None, help="Host target for device targets, e.g. 'llvm -mcpu=...'.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Artifact folder to write (replaced atomically).")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME:D1xD2...",
              help="Override an input's shape; non-numeric dims stay symbolic (N, ?).")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=2, show_default=True,
              help="Optimization level of the IR pass pipeline.")
@click.option("--const-input", "const_inputs", multiple=True, metavar="NAME=FILE.npy",
              help="Bind an input (e.g. a shape or axes operand) to this value: the artifact is "
                   "specialized to it and the input leaves its signature.")
@click.option("--disable-pass", "disabled_passes", multiple=True, metavar="NAME",
              help="Skip a pass of the pipeline (see --print-passes).")
@click.option("--print-passes", is_flag=True, help="List the passes that would run and exit.")
@click.option("--model-file", default=None, metavar="FILE",
              help="Paddle program file (.json/.pdmodel) inside MODEL, overriding discovery.")
@click.option("--params-file", default=None, metavar="FILE",
              help="Paddle parameters file (.pdiparams), overriding discovery.")
@click.option("--trt-precision", type=click.Choice(["fp32", "fp16", "int8"]), default="fp32",
              show_default=True, help="TensorRT regions' precision (target tensorrt).")
@click.option("--min-subgraph-size", type=click.IntRange(1), default=3, show_default=True,
              help="Smaller TensorRT regions stay with TVM (as Paddle's min_subgraph_size).")
@click.option("--input-shape-range", "shape_ranges", multiple=True,
              metavar="NAME:MIN:OPT:MAX", help="Sizes a dynamic input may take, e.g. x:1x3x48x16:"
              "1x3x48x320:8x3x48x1600: feeds outside are refused, memory is planned for the "
              "maximum, TensorRT profiles use all three (Paddle's set_trt_dynamic_shape_info).")
@click.option("--trt-fallback", is_flag=True,
              help="Also compile every TensorRT region with TVM, used where TensorRT is missing.")
@click.option("--calib-data", type=click.Path(path_type=Path), default=None,
              help="int8: .npz (or folder of .npz/.npy) of representative inputs.")
@click.option("--build-engines", is_flag=True,
              help="Prebuild TensorRT engines into the artifact (GPU host with TensorRT).")
@click.option("--verify-passes", is_flag=True,
              help="Run the model (onnxruntime, else the ONNX reference evaluator) on random "
                   "inputs after every pass; stop at the first pass whose outputs drift.")
@click.option("--records", type=click.Path(path_type=Path), default=None,
              help="CPU: apply MetaSchedule records written by `paddlec tune`.")
@click.option("--fast-path/--no-fast-path", default=True, show_default=True,
              help="CPU: hand conv/matmul/pooling to the oneDNN kernels linked into model.so.")
@click.option("--winograd/--no-winograd", default=True, show_default=True,
              help="CPU fast path: run 3x3 stride-1 convolutions with enough 4x4 output tiles "
                   "as Winograd F(4,3) (~1e-6 relative difference from a direct convolution).")
@click.option("--fuse-blocks/--no-fuse-blocks", default=True, show_default=True,
              help="CPU fast path: run each inverted residual block (1x1 expand, 3x3 depthwise, "
                   "1x1 project) as one kernel that keeps the expanded rows in cache.")
@click.option("--blocked-layout/--no-blocked-layout", default=True, show_default=True,
              help="CPU fast path: keep convolution chains whose channel counts are multiples "
                   "of 16 in oneDNN's blocked nChw16c layout instead of NHWC.")
@click.option("--sign", "sign_key", type=click.Path(path_type=Path), default=None,
              metavar="KEY", help="Sign the artifact with this ed25519 private key (PEM; "
              "see `paddlec keygen`): loaders given trusted keys accept only signed ones.")
def compile_command(model: Path, target: str, host: str | None, output: Path,
                    input_shapes: tuple[str, ...], opt_level: int, const_inputs: tuple[str, ...],
                    disabled_passes: tuple[str, ...], print_passes: bool, trt_precision: str,
                    min_subgraph_size: int, shape_ranges: tuple[str, ...], trt_fallback: bool,
                    calib_data: Path | None, build_engines: bool,
                    verify_passes: bool, model_file: str | None,
                    params_file: str | None,
                    records: Path | None, fast_path: bool, winograd: bool,
                    fuse_blocks: bool, blocked_layout: bool, sign_key: Path | None) -> None:
    """Compile MODEL (an .onnx file, a Paddle model folder or file) into an artifact folder."""
    if print_passes:
        _print_passes(opt_level, disabled_passes)
        return
    from .compiler import compile_model
    from .compiler.const_inputs import load_const_inputs
    from .compiler.frontends import parse_input_shapes

    trt_options = {"input_shape_ranges": _parse_shape_ranges(shape_ranges)}
    if "tensorrt" in target:
        trt_options.update(trt_precision=trt_precision, min_subgraph_size=min_subgraph_size,
                           trt_fallback=trt_fallback, build_engines=build_engines,
                           calib_data=str(calib_data) if calib_data else None)
    manifest = compile_model(model, output, target=target, host=host,
                             input_shapes=parse_input_shapes(input_shapes),
                             opt_level=opt_level, disabled_passes=disabled_passes,
                             verify_passes=verify_passes, model_file=model_file,
                             params_file=params_file,
                             fast_path=fast_path, winograd=winograd,
                             fuse_blocks=fuse_blocks, blocked_layout=blocked_layout,
                             records=str(records) if records else None,
                             const_inputs=load_const_inputs(const_inputs),
                             sign=str(sign_key) if sign_key else None, **trt_options)
    click.echo(f"wrote {output} ({manifest['target']['given']})")
    _print_specs(manifest["inputs"], manifest["outputs"])


@cli.command("optimize")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The optimized model, a standard .onnx file (replaced atomically).")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME:D1xD2...",
              help="Override an input's shape; non-numeric dims stay symbolic (N, ?).")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=2, show_default=True,
              help="Optimization level of the IR pass pipeline.")
@click.option("--disable-pass", "disabled_passes", multiple=True, metavar="NAME",
              help="Skip a pass of the pipeline (see --print-passes).")
@click.option("--verify-passes", is_flag=True,
              help="Rerun the model after every pass; stop at the first that drifts.")
def optimize_command(model: Path, output: Path, input_shapes: tuple[str, ...], opt_level: int,
                     disabled_passes: tuple[str, ...], verify_passes: bool) -> None:
    """Import MODEL, run the pass pipeline and write the optimized graph as ONNX."""
    from .compiler import optimize_model
    from .compiler.frontends import parse_input_shapes

    stats = optimize_model(model, output, parse_input_shapes(input_shapes), opt_level,
                           disabled_passes, verify_passes)
    _print_pass_stats(opt_level, [stat.to_json(with_time=True) for stat in stats])
    click.echo(f"wrote {output}")


def _print_pass_stats(opt_level, stats: list[dict]) -> None:
    click.echo(f"passes (-O{opt_level}):")
    for stat in stats:
        mark = "*" if stat.get("modified") else " "
        extra = f"  max error {stat['max_error']:.3g}" if "max_error" in stat else ""
        timing = f"  {stat['seconds']:.3f}s" if "seconds" in stat else ""
        click.echo(f" {mark}{stat['name']:36s} {stat['nodes_before']:6d} -> "
                   f"{stat['nodes_after']:6d}{timing}{extra}")
    if stats:
        click.echo(f"  nodes: {stats[0]['nodes_before']} -> {stats[-1]['nodes_after']}"
                   "  (* = the pass changed the graph)")


def _parse_shape_ranges(specs: tuple[str, ...]) -> dict[str, tuple]:
    """``image:1x3x224x224:4x3x224x224:8x3x224x224`` → ``{"image": (min, opt, max)}``."""
    from .errors import InputMismatchError

    ranges = {}
    for spec in specs:
        parts = spec.rsplit(":", 3)
        try:
            if len(parts) != 4 or not parts[0]:
                raise ValueError
            ranges[parts[0]] = tuple([int(d) for d in shape.lower().split("x")]
                                     for shape in parts[1:])
        except ValueError:
            raise InputMismatchError(f"--input-shape-range {spec!r}: expected NAME:MIN:OPT:MAX "
                                     "with shapes like 1x3x224x224") from None
    return ranges


def _print_passes(opt_level: int, disabled: tuple[str, ...]) -> None:
    from .errors import ModelLoadError
    from .passes import select_passes

    try:
        specs = select_passes(opt_level, disabled)
    except ValueError as exc:
        raise ModelLoadError(str(exc)) from None
    for spec in specs:
        click.echo(f"O{spec.level}  {spec.name:36s} {spec.summary}")


def _print_specs(inputs: list[dict], outputs: list[dict]) -> None:
    for title, specs in (("inputs", inputs), ("outputs", outputs)):
        click.echo(f"{title}:")
        for spec in specs:
            dims = "x".join(str(d) for d in spec["shape"]) or "scalar"
            click.echo(f"  {spec['name']:30s} {spec['dtype']:8s} {dims}")


@cli.command("run")
@click.argument("artifact", type=click.Path(path_type=Path))
@click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=FILE.npy",
              help="An input array; repeat for each input.")
@click.option("--random", "random_inputs", is_flag=True,
              help="Feed seeded random data for every input (symbolic dims = 1).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option("--output-dir", type=click.Path(path_type=Path), default=None,
              help="Write each output as NAME.npy into this folder.")
@click.option("--region-backend", type=click.Choice(["tensorrt", "tvm", "onnxruntime"]),
              default=None, help="TensorRT regions: engine, TVM fallback, or onnxruntime "
              "(stand-in). Default: TensorRT if installed, else the fallback.")
@click.option("--trusted-key", "trusted_keys", multiple=True, type=click.Path(path_type=Path),
              metavar="KEY.pub", help="Accept the artifact only if signed by this ed25519 "
              "public key (repeat for several).")
def run_command(artifact: Path, inputs: tuple[str, ...], random_inputs: bool, device: str,
                output_dir: Path | None, region_backend: str | None,
                trusted_keys: tuple[Path, ...]) -> None:
    """Run a compiled ARTIFACT on .npy inputs and summarize (or save) the outputs."""
    import numpy as np

    from . import runtime
    from .errors import InputMismatchError
    from .numpy_files import load_npy

    model = runtime.load(artifact, device=device, region_backend=region_backend,
                         trusted_keys=list(trusted_keys) or None)
    if model.manifest.signer:
        click.echo(f"signature: verified, key {model.manifest.signer}")
    feed = _random_feed(model) if random_inputs else {}
    for item in inputs:
        name, sep, file = item.partition("=")
        if not sep:
            raise InputMismatchError(f"--input {item!r}: expected NAME=FILE.npy")
        feed[name] = load_npy(file, InputMismatchError, f"--input {name}")
    results = model.run(feed)
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
    for name, value in results.items():
        summary = (f"min {value.min():.6g} max {value.max():.6g} mean {value.mean():.6g}"
                   if value.size and value.dtype.kind in "fiub" else "")
        click.echo(f"{name}: {value.dtype}{list(value.shape)} {summary}")
        if output_dir is not None:
            safe = name.replace("/", "_").replace(":", "_")
            np.save(output_dir / f"{safe}.npy", value)


def _random_feed(model) -> dict:
    import numpy as np

    from .runtime.random_input import random_array

    rng = np.random.default_rng(0)
    return {spec.name: random_array(rng, list(spec.shape), spec.dtype) for spec in model.inputs}


@cli.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--model-file", default=None, metavar="FILE",
              help="Paddle program file (.json/.pdmodel) inside PATH, overriding discovery.")
@click.option("--params-file", default=None, metavar="FILE",
              help="Paddle parameters file (.pdiparams), overriding discovery.")
def inspect_command(path: Path, as_json: bool, model_file: str | None,
                    params_file: str | None) -> None:
    """Describe a model (format, inputs, outputs, op histogram) or an artifact (manifest)."""
    from .errors import ArtifactError
    from .runtime.manifest import MANIFEST_NAME, read_manifest

    if path.is_dir() and (path / MANIFEST_NAME).is_file():
        manifest = read_manifest(path).raw
        if as_json:
            click.echo(json.dumps(manifest, indent=2, sort_keys=True))
            return
        try:
            _print_artifact(path, manifest)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # read_manifest checked what the runtime uses; the rest is only printed here
            raise ArtifactError(f"{path}: malformed manifest section ({type(exc).__name__}: "
                                f"{exc})") from exc
        return
    from .compiler.inspect import describe_model

    info = describe_model(path, model_file=model_file, params_file=params_file)
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"model {info['file']} ({info['format']}, opset {info['opset']})")
    _print_specs(info["inputs"], info["outputs"])
    if "ir_ops" in info:
        click.echo(f"IR: {info['ir_node_count']} ONNX nodes")
    click.echo(f"operators ({info['node_count']} nodes):")
    for op, count in info["ops"].items():
        click.echo(f"  {op:30s} {count}")


def _print_artifact(path: Path, manifest: dict) -> None:
    """The human-readable summary of an artifact's manifest."""
    from .runtime.signing import SIGNATURE_NAME

    click.echo(f"artifact {path} (format {manifest['format_version']}, "
               f"paddlec {manifest['paddlec_version']}, TVM {manifest['tvm_version']})")
    click.echo(f"target: {manifest['target']['given']} -> {json.dumps(manifest['target']['resolved'])}")
    source = manifest["source"]
    click.echo(f"source: {source['file']} ({source['format']}, sha256 {source['sha256'][:16]}...)")
    _print_specs(manifest["inputs"], manifest["outputs"])
    if (path / SIGNATURE_NAME).is_file():
        click.echo(f"signed: {SIGNATURE_NAME} (check it: paddlec run --trusted-key KEY.pub)")
    if manifest.get("cuda"):
        _print_cuda(path, manifest)
    if manifest.get("tensorrt"):
        _print_tensorrt(manifest["tensorrt"])
    if manifest.get("passes"):
        _print_pass_stats(manifest.get("opt_level"), manifest["passes"])
    if manifest.get("cpu"):
        _print_cpu(manifest["cpu"])


def _print_cuda(path: Path, manifest: dict) -> None:
    """The architectures the manifest promises and what the fatbin in the library holds."""
    from .compiler.cuda.fatbin import list_fatbin_entries, summarize

    cuda = manifest["cuda"]
    click.echo(f"cuda: toolkit {cuda.get('cuda_version')}, architectures "
               f"{','.join(cuda.get('architectures', []))}")
    entries = list_fatbin_entries(path / manifest["library"])
    found = summarize(entries)
    click.echo(f"  fatbin in {manifest['library']}: SASS {', '.join(found['sass']) or 'none'}; "
               f"PTX {', '.join(found['ptx']) or 'none'} ({len(entries)} entries)")
    rules = cuda.get("schedule", {}).get("kernels")
    if rules:
        click.echo("  dlight schedules: " + ", ".join(f"{k} {v}" for k, v in rules.items()))


def _print_cpu(section: dict) -> None:
    """The oneDNN call sites and, with records, each measured TVM-vs-library decision."""
    calls = section.get("library_calls") or {}
    click.echo("cpu: library calls " + (", ".join(f"{k} {v}" for k, v in calls.items())
                                        or "none") + (f"; records {section['records']}"
                                                      if section.get("records") else ""))
    for choice in section.get("choices", []):
        ins = " ".join("x".join(map(str, shape)) for shape in choice["workload"]["inputs"])
        out = "x".join(map(str, choice["workload"]["output"]))
        click.echo(f"  {choice['kind']} {ins} -> {out}: tuned TVM {choice['tvm_ms']:.3f} ms, "
                   f"library {choice['library_ms']:.3f} ms -> picked {choice['picked']}")


def _print_tensorrt(section: dict) -> None:
    regions = section.get("regions", [])
    click.echo(f"tensorrt: {len(regions)} region(s), precision {section.get('precision')}, "
               f"min_subgraph_size {section.get('min_subgraph_size')}, "
               f"fallback {'yes' if section.get('fallback') else 'no'}")
    for region in regions:
        ops = sum(region["ops"].values())
        ins = ", ".join(f"{s['name']}[{'x'.join(map(str, s['shape']))}]" for s in region["inputs"])
        click.echo(f"  {region['file']}: {ops} ops, inputs {ins}")
    outside = section.get("outside_ops") or {}
    click.echo("  outside (TVM): " + (", ".join(f"{k.removeprefix('relax.')} {v}"
                                                for k, v in outside.items()) or "nothing"))


@cli.command("keygen")
@click.argument("key", type=click.Path(path_type=Path))
def keygen_command(key: Path) -> None:
    """Write a new ed25519 signing key to KEY (mode 0600) and its public key to KEY.pub."""
    from .compiler.signing import generate_key

    private, public, name = generate_key(key)
    click.echo(f"wrote {private} (private: keep it secret) and {public} (key {name})")


@cli.command("sign")
@click.argument("artifact", type=click.Path(path_type=Path))
@click.option("--key", required=True, type=click.Path(path_type=Path),
              help="ed25519 private key (PEM), e.g. from `paddlec keygen`.")
def sign_command(artifact: Path, key: Path) -> None:
    """Sign an existing ARTIFACT (writes manifest.sig; checksums are verified first)."""
    from .compiler.signing import sign_artifact
    from .runtime.manifest import read_manifest

    read_manifest(artifact)  # only an intact artifact gets a signature
    click.echo(f"signed {artifact} with key {sign_artifact(artifact, key)}")


@cli.command("save")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--feed", "feeds", multiple=True, required=True, metavar="NAME[,NAME...]",
              help="A value the inference model takes as input; repeat or comma-separate.")
@click.option("--fetch", "fetches", multiple=True, required=True, metavar="NAME[,NAME...]",
              help="A value the inference model computes; repeat or comma-separate.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Folder to write model.onnx (+ external data) and inference_model.json.")
def save_command(model: Path, feeds: tuple[str, ...], fetches: tuple[str, ...],
                 output: Path) -> None:
    """Prune an ONNX training graph MODEL to an inference model (save_inference_model)."""
    import warnings

    from .fluid.io import save_onnx_inference_model

    def split(items: tuple[str, ...]) -> list[str]:
        return [name for item in items for name in item.split(",") if name]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manifest = save_onnx_inference_model(model, split(feeds), split(fetches), output)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    pruned = manifest["pruned"]
    removed = ", ".join(f"{op} ({n})" for op, n in sorted(pruned["removed_ops"].items()))
    click.echo(f"wrote {output} (kept {pruned['kept_nodes']} nodes; removed: {removed or 'none'})")
    _print_specs(manifest["feeds"], manifest["fetches"])


def _int_list(text: str) -> list[int]:
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise click.BadParameter(f"expected positive integers, got {text!r}")
    return values


@cli.command("bench")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--batch", default="1", show_default=True, help="Batch sizes, e.g. 1,8.")
@click.option("--threads", default="2", show_default=True, help="Thread counts, e.g. 1,2.")
@click.option("--vs", "peers", default="onnxruntime", show_default=True,
              help="Peers measured in the same run: onnxruntime, paddle (comma-separated), "
                   "or 'none'.")
@click.option("--runs", default=20, show_default=True, help="Timed runs per engine.")
@click.option("--warmup", default=3, show_default=True, help="Untimed runs per engine first.")
@click.option("-t", "--target", default="llvm -mcpu=native", show_default=True,
              help="Target for compiling MODEL when it is a model file.")
@click.option("--records", type=click.Path(path_type=Path), default=None,
              help="Tuning records applied when compiling MODEL.")
@click.option("--source", type=click.Path(path_type=Path), default=None,
              help="The .onnx model of an ARTIFACT, for the onnxruntime peer.")
@click.option("--paddle-model", type=click.Path(path_type=Path), default=None,
              help="Paddle model folder for --vs paddle (default: the suite's Paddle twin).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, metavar="FILE.png",
              help="Also save the table as a bar chart (needs matplotlib).")
def bench_command(model: Path, batch: str, threads: str, peers: str, runs: int, warmup: int,
                  target: str, records: Path | None, source: Path | None,
                  paddle_model: Path | None, as_json: bool, plot: Path | None) -> None:
    """Time MODEL (an .onnx file or an artifact) next to onnxruntime / Paddle Inference."""
    from .bench.plot import require_matplotlib, save_plot
    from .bench.runner import bench, format_table, rows_to_json

    if plot is not None:
        require_matplotlib()  # fail before minutes of timing, not after

    peer_list = [] if peers.strip() == "none" else [p.strip() for p in peers.split(",") if p]
    rows = bench(model, batches=_int_list(batch), threads=_int_list(threads), peers=peer_list,
                 runs=runs, warmup=warmup, target=target,
                 records=str(records) if records else None, source=source,
                 paddle_model=paddle_model)
    click.echo(rows_to_json(rows) if as_json else format_table(rows))
    if plot is not None:
        click.echo(f"plot: {save_plot(rows, plot)}", err=as_json)


@cli.command("tune")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-t", "--target", default="llvm -mcpu=native", show_default=True)
@click.option("--trials", default=256, show_default=True, help="MetaSchedule trials in total.")
@click.option("--records", required=True, type=click.Path(path_type=Path),
              help="Records folder; created, or resumed when it exists.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME:D1xD2...",
              help="Fix an input's shape for tuning (symbolic dims default to 1).")
@click.option("--fast-path/--no-fast-path", default=True, show_default=True,
              help="Tune only what the oneDNN fast path leaves to TVM (default), or all.")
def tune_command(model: Path, target: str, trials: int, records: Path,
                 input_shapes: tuple[str, ...], fast_path: bool) -> None:
    """Tune MODEL's TVM kernels with MetaSchedule into a records folder (resumable)."""
    from .compiler.cpu.tune import tune_model
    from .compiler.frontends import parse_input_shapes

    summary = tune_model(model, records, target=target, trials=trials,
                         input_shapes=parse_input_shapes(input_shapes), fast_path=fast_path,
                         progress=click.echo)
    click.echo(json.dumps(summary, indent=2))


def main() -> None:
    cli(prog_name="paddlec")


if __name__ == "__main__":
    sys.exit(main())
