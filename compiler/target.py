"""Target strings as users type them → TVM 0.27 target dicts.

TVM 0.27 only accepts the dict form (``{"kind": "llvm", "mcpu": "..."}``); users and CI
scripts type ``llvm -mcpu=skylake-avx512``. We parse ``KIND [-key=value ...]`` ourselves and
check each key against the kind's option schema so a typo fails here with the list of valid
options, not deep inside TVM. ``native`` (or ``-mcpu=native``) means this machine's CPU.

CUDA: ``cuda -arch=sm_80,sm_86,sm_89,sm_90`` asks for one fatbin with SASS for every listed
architecture plus PTX of the newest (which the driver JIT-compiles on newer GPUs). TVM takes
one ``arch``: we give it the *oldest* listed, so the schedules use no feature a listed GPU
lacks. Plain ``cuda`` means :data:`DEFAULT_CUDA_ARCHS`.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import TargetError

__all__ = ["DEFAULT_CUDA_ARCHS", "MIN_CUDA_ARCH", "ResolvedTarget", "parse_target"]

# Turing (T4), Ampere (A100, A10/RTX 30), Ada (L4/RTX 40), Hopper (H100/H200) as SASS;
# Blackwell and anything newer runs the compute_90 PTX through the driver's JIT.
DEFAULT_CUDA_ARCHS = ("sm_75", "sm_80", "sm_86", "sm_89", "sm_90")
MIN_CUDA_ARCH = 75  # nvcc 13 dropped everything older (compute_50..72)

# Kinds paddlec builds for; ``tensorrt`` is a cuda target with TensorRT regions.
_DEVICE_OF_KIND = {"llvm": "cpu", "cuda": "cuda"}
# BYOC back ends: ``tensorrt`` == ``cuda -byoc=tensorrt`` (``cuda --byoc tensorrt``);
# ``llvm -byoc=tensorrt`` runs the same region dispatch on a CPU host (tests, ORT stand-in).
BYOC = ("tensorrt",)


@dataclass
class ResolvedTarget:
    """A parsed target: the string as given, the TVM dict, and the host dict (device targets)."""

    given: str
    config: dict[str, Any]
    host: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.config["kind"]

    @property
    def device(self) -> str:
        return _DEVICE_OF_KIND[self.kind]

    @property
    def byoc(self) -> str | None:
        """``"tensorrt"`` when regions go to TensorRT, else None."""
        return self.extras.get("byoc")

    @property
    def cuda_archs(self) -> list[str]:
        """Architectures to emit SASS for (oldest first); empty for CPU targets."""
        return list(self.extras.get("cuda_archs", []))

    def to_tvm(self):
        import tvm

        if self.host is not None:
            return tvm.target.Target(self.config, host=self.host)
        return tvm.target.Target(self.config)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"given": self.given, "resolved": self.config, "device": self.device}
        if self.host is not None:
            data["host"] = self.host
        data.update(self.extras)
        return data


def _native_cpu() -> dict[str, Any]:
    from tvm.target import codegen

    return {"mcpu": str(codegen.llvm_get_system_cpu()), "num-cores": os.cpu_count() or 1}


def _convert(kind: str, key: str, raw: str, schema: dict[str, str]) -> Any:
    type_name = schema[key]
    if type_name == "int":
        try:
            return int(raw)
        except ValueError:
            raise TargetError(f"target option -{key} of {kind!r} takes an integer, got {raw!r}") from None
    if type_name == "bool":
        if raw.lower() in ("1", "true", "yes", "on", ""):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise TargetError(f"target option -{key} of {kind!r} takes true/false, got {raw!r}")
    if type_name.startswith("Array"):
        return [item for item in raw.split(",") if item]
    return raw


def _parse_one(text: str, what: str) -> dict[str, Any]:
    import tvm

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise TargetError(f"{what} {text!r}: {exc}") from None
    if not words:
        raise TargetError(f"{what} is empty")
    kind, options = words[0], _join_flag_values(words[1:])
    config: dict[str, Any] = {}
    if kind == "tensorrt":
        kind = "cuda"
        config["byoc"] = "tensorrt"
    if kind == "native":
        kind = "llvm"
        config.update(_native_cpu())
    if kind not in _DEVICE_OF_KIND:
        known = ", ".join(sorted(_DEVICE_OF_KIND) + ["native", "tensorrt"])
        raise TargetError(f"{what} {text!r}: unknown target kind {kind!r} (known: {known})")
    schema = dict(tvm.target.TargetKind.options_from_name(kind))
    for option in options:
        if not option.startswith("-") or option == "-":
            raise TargetError(f"{what} {text!r}: expected -key=value, got {option!r}")
        key, _, value = option.lstrip("-").partition("=")
        if key == "byoc" and what == "target":
            if value not in BYOC:
                raise TargetError(f"{what} {text!r}: unknown BYOC back end {value!r} "
                                  f"(known: {', '.join(BYOC)})")
            config["byoc"] = value
            continue
        if key in ("kind", "host", "tag", "keys") or key not in schema:
            valid = ", ".join(sorted(k for k in schema if k not in ("kind", "host", "tag", "keys")))
            raise TargetError(
                f"{what} {text!r}: unknown option -{key} for kind {kind!r}; valid options: {valid}"
            )
        if kind == "cuda" and key == "arch":
            config["arch"] = _cuda_archs(text, value)
            continue
        if kind == "llvm" and key == "mcpu" and value == "native":
            config.update(_native_cpu())
            continue
        config[key] = _convert(kind, key, value, schema)
    if kind == "llvm" and "mcpu" in config:
        _check_cpu(text, config)
    return {"kind": kind, **config}


def _join_flag_values(options: list[str]) -> list[str]:
    """``--byoc tensorrt`` → ``-byoc=tensorrt`` (the spelling of the issue's examples)."""
    joined: list[str] = []
    for option in options:
        if joined and joined[-1] in ("--byoc", "-byoc") and not option.startswith("-"):
            joined[-1] = f"-byoc={option}"
        else:
            joined.append(option)
    return joined


def _cuda_archs(text: str, value: str) -> list[str]:
    if not value.strip(" ,"):
        raise TargetError(f"target {text!r}: -arch needs at least one architecture")
    archs: dict[str, int] = {}
    for item in (part.strip().lower() for part in value.split(",")):
        number = item.removeprefix("sm_").removeprefix("compute_")
        digits = number.rstrip("af")
        if not item or not digits.isdigit() or not item.startswith(("sm_", "compute_")):
            raise TargetError(f"target {text!r}: bad CUDA architecture {item!r} "
                              "(expected sm_XX, e.g. -arch=sm_80,sm_90)")
        if int(digits) < MIN_CUDA_ARCH:
            raise TargetError(f"target {text!r}: {item} is too old; CUDA 13 builds for "
                              f"sm_{MIN_CUDA_ARCH} (Turing) and newer")
        archs[f"sm_{number}"] = int(digits)
    return sorted(archs, key=lambda name: (archs[name], name))


def _check_cpu(text: str, config: dict[str, Any]) -> None:
    from tvm.target import codegen

    triple = config.get("mtriple") or str(codegen.llvm_get_system_triple())
    if not codegen.llvm_is_valid_cpu(config["mcpu"], triple):
        raise TargetError(f"target {text!r}: LLVM does not know the CPU {config['mcpu']!r} "
                          f"for {triple}")


def parse_target(text: str, host: str | None = None) -> ResolvedTarget:
    """Parse ``llvm -mcpu=...``, ``native``, ``cuda -arch=sm_80`` (+ optional host string)."""
    import tvm

    config = _parse_one(text, "target")
    host_config = _parse_one(host, "host target") if host else None
    if host_config is not None and config["kind"] == "llvm":
        raise TargetError("--host only applies to device targets such as cuda")
    if config["kind"] == "llvm":
        config.setdefault("num-cores", os.cpu_count() or 1)
    extras: dict[str, Any] = {}
    if "byoc" in config:
        extras["byoc"] = config.pop("byoc")
    if config["kind"] == "cuda":
        archs = config.pop("arch", None) or list(DEFAULT_CUDA_ARCHS)
        config["arch"] = archs[0]  # schedule for the oldest: valid on every listed GPU
        extras["cuda_archs"] = archs
        host_config = host_config or {"kind": "llvm"}
    resolved = ResolvedTarget(given=text if not host else f"{text} --host {host}",
                              config=config, host=host_config, extras=extras)
    try:
        resolved.to_tvm()
    except (ValueError, tvm.error.TVMError) as exc:
        raise TargetError(f"target {text!r} is rejected by TVM: {exc}") from None
    return resolved
