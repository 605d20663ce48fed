"""A FAKE ``tensorrt`` module for tests on machines without TensorRT (all of ours).

It mimics the slice of TensorRT 10's Python API that ``paddlec.runtime.tensorrt`` uses,
as we understand it from TensorRT's documentation, and runs the parsed ONNX with
onnxruntime reading/writing the tensors through their raw addresses. It checks paddlec's
call sequence, caching and calibration plumbing — it proves nothing about real TensorRT.
"""

from __future__ import annotations

import base64
import ctypes
import json

import numpy as np

__version__ = "10.0.0-fake"
builds: list[dict] = []


class Logger:
    WARNING = 2

    def __init__(self, level):
        self.level = level


class MemoryPoolType:
    WORKSPACE = "WORKSPACE"


class BuilderFlag:
    FP16 = "FP16"
    INT8 = "INT8"


class IInt8EntropyCalibrator2:
    def __init__(self):
        pass


class _Network:
    onnx = b""


class _Profile:
    def __init__(self):
        self.shapes = {}

    def set_shape(self, name, low, opt, high):
        self.shapes[name] = [list(low), list(opt), list(high)]


class _Config:
    def __init__(self):
        self.flags, self.pools, self.profiles = set(), {}, []
        self.int8_calibrator, self.calibration_profile = None, None

    def set_memory_pool_limit(self, pool, size):
        self.pools[pool] = size

    def set_flag(self, flag):
        self.flags.add(flag)

    def add_optimization_profile(self, profile):
        self.profiles.append(profile)
        return len(self.profiles) - 1

    def set_calibration_profile(self, profile):
        self.calibration_profile = profile


class Builder:
    platform_has_fast_fp16 = True

    def __init__(self, logger):
        self.logger = logger

    def create_network(self, flags):
        return _Network()

    def create_builder_config(self):
        return _Config()

    def create_optimization_profile(self):
        return _Profile()

    def build_serialized_network(self, network, config):
        record = {"flags": sorted(config.flags), "pools": config.pools,
                  "profiles": [p.shapes for p in config.profiles], "calibration_batches": 0}
        calibrator = config.int8_calibrator
        if calibrator is not None:
            cached = calibrator.read_calibration_cache()
            if cached is None:
                import onnx

                names = [i.name for i in onnx.load_from_string(network.onnx).graph.input]
                while calibrator.get_batch(names) is not None:
                    record["calibration_batches"] += 1
                calibrator.write_calibration_cache(b"fake-calibration-table")
            record["calibration_table"] = (cached or b"fake-calibration-table").decode()
        builds.append(record)
        return json.dumps({**record, "onnx": base64.b64encode(network.onnx).decode()}).encode()


class OnnxParser:
    def __init__(self, network, logger):
        self.network, self.errors = network, []

    def parse(self, data):
        import onnx

        try:
            onnx.load_from_string(data)
        except Exception as exc:  # noqa: BLE001
            self.errors.append(str(exc))
            return False
        self.network.onnx = bytes(data)
        return True

    @property
    def num_errors(self):
        return len(self.errors)

    def get_error(self, index):
        return self.errors[index]


def _view(address, shape, dtype=np.float32):
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = (ctypes.c_byte * size).from_address(address)
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


class _Context:
    def __init__(self, plan):
        import onnxruntime as ort

        self.session = ort.InferenceSession(base64.b64decode(plan["onnx"]),
                                            providers=["CPUExecutionProvider"])
        self.shapes, self.addresses = {}, {}

    def set_input_shape(self, name, shape):
        self.shapes[name] = tuple(shape)
        return True

    def set_tensor_address(self, name, address):
        self.addresses[name] = address
        return True

    def execute_async_v3(self, stream):
        feed = {i.name: _view(self.addresses[i.name], self.shapes[i.name]).copy()
                for i in self.session.get_inputs()}
        names = [o.name for o in self.session.get_outputs()]
        for name, value in zip(names, self.session.run(names, feed)):
            _view(self.addresses[name], value.shape)[...] = value
        return True


class _Engine:
    def __init__(self, plan):
        self.plan = plan

    def create_execution_context(self):
        return _Context(self.plan)


class Runtime:
    def __init__(self, logger):
        self.logger = logger

    def deserialize_cuda_engine(self, plan):
        return _Engine(json.loads(bytes(plan)))
