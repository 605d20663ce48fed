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
def compile_command(model: Path, target: str, host: str | None, output: Path,
                    input_shapes: tuple[str, ...], opt_level: int, const_inputs: tuple[str, ...],
                    disabled_passes: tuple[str, ...], print_passes: bool) -> None:
    """Compile MODEL (an .onnx file or a model folder) into an artifact folder."""
    if print_passes:
        _print_passes(opt_level, disabled_passes)
        return
    from .compiler import compile_model
    from .compiler.frontends import parse_input_shapes

    manifest = compile_model(model, output, target=target, host=host,
                             input_shapes=parse_input_shapes(input_shapes),
                             opt_level=opt_level, disabled_passes=disabled_passes,
                             const_inputs=_load_const_inputs(const_inputs))
    click.echo(f"wrote {output} ({manifest['target']['given']})")
    _print_specs(manifest["inputs"], manifest["outputs"])


def _load_const_inputs(specs: tuple[str, ...]) -> dict:
    import numpy as np

    from .errors import ModelLoadError

    values = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ModelLoadError(f"--const-input {spec!r}: expected NAME=FILE.npy")
        try:
            values[name] = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"--const-input {name}: cannot read {path}: {exc}") from None
    return values


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
def run_command(artifact: Path, inputs: tuple[str, ...], random_inputs: bool, device: str,
                output_dir: Path | None) -> None:
    """Run a compiled ARTIFACT on .npy inputs and summarize (or save) the outputs."""
    import numpy as np

    from . import runtime
    from .errors import InputMismatchError

    model = runtime.load(artifact, device=device)
    feed = _random_feed(model) if random_inputs else {}
    for item in inputs:
        name, sep, file = item.partition("=")
        if not sep:
            raise InputMismatchError(f"--input {item!r}: expected NAME=FILE.npy")
        try:
            feed[name] = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputMismatchError(f"--input {name}: cannot read {file}: {exc}") from None
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

    rng = np.random.default_rng(0)
    feed = {}
    for spec in model.inputs:
        shape = [d if isinstance(d, int) else 1 for d in spec.shape]
        dtype = np.dtype(spec.dtype)
        if dtype.kind == "f":
            feed[spec.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind == "b":
            feed[spec.name] = rng.integers(0, 2, shape).astype(dtype)
        else:
            feed[spec.name] = rng.integers(0, 10, shape).astype(dtype)
    return feed


@cli.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def inspect_command(path: Path, as_json: bool) -> None:
    """Describe a model (format, inputs, outputs, op histogram) or an artifact (manifest)."""
    from .runtime.manifest import MANIFEST_NAME, read_manifest

    if path.is_dir() and (path / MANIFEST_NAME).is_file():
        manifest = read_manifest(path).raw
        if as_json:
            click.echo(json.dumps(manifest, indent=2, sort_keys=True))
            return
        click.echo(f"artifact {path} (format {manifest['format_version']}, "
                   f"paddlec {manifest['paddlec_version']}, TVM {manifest['tvm_version']})")
        click.echo(f"target: {manifest['target']['given']} -> {json.dumps(manifest['target']['resolved'])}")
        source = manifest["source"]
        click.echo(f"source: {source['file']} ({source['format']}, sha256 {source['sha256'][:16]}...)")
        _print_specs(manifest["inputs"], manifest["outputs"])
        if manifest.get("passes"):
            click.echo(f"passes (-O{manifest.get('opt_level')}):")
            for stat in manifest["passes"]:
                click.echo(f"  {stat['name']:36s} {stat['nodes_before']:6d} -> {stat['nodes_after']:6d}")
        return
    from .compiler.inspect import describe_model

    info = describe_model(path)
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    click.echo(f"model {info['file']} ({info['format']}, opset {info['opset']})")
    _print_specs(info["inputs"], info["outputs"])
    click.echo(f"operators ({info['node_count']} nodes):")
    for op, count in info["ops"].items():
        click.echo(f"  {op:30s} {count}")


def main() -> None:
    cli(prog_name="paddlec")


if __name__ == "__main__":
    sys.exit(main())
