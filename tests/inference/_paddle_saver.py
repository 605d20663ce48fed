"""Run as a script (in its own process, so Paddle never shares the test process with TVM):
save a small conv net with real Paddle and write Paddle Inference's outputs for an input.

    python _paddle_saver.py OUT_DIR json|pdmodel
writes OUT_DIR/model/inference.{json|pdmodel,pdiparams}, OUT_DIR/x.npy, OUT_DIR/paddle_y.npy
"""

import os
import sys

out_dir, fmt = sys.argv[1], sys.argv[2]
if fmt == "pdmodel":
    os.environ["FLAGS_enable_pir_api"] = "0"  # the legacy ProgramDesc format

import numpy as np  # noqa: E402
import paddle  # noqa: E402
from paddle import nn  # noqa: E402

paddle.seed(0)
net = nn.Sequential(
    nn.Conv2D(3, 8, 3, padding=1),
    nn.BatchNorm2D(8),
    nn.ReLU(),
    nn.MaxPool2D(2),
    nn.Conv2D(8, 8, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2D(1),
    nn.Flatten(),
    nn.Linear(8, 5),
    nn.Softmax(),
)
bn = net[1]
rng = np.random.default_rng(0)
bn._mean.set_value(rng.standard_normal(8).astype("float32"))
bn._variance.set_value(rng.uniform(0.5, 2.0, 8).astype("float32"))
net.eval()
prefix = os.path.join(out_dir, "model", "inference")
paddle.jit.save(
    net, prefix, input_spec=[paddle.static.InputSpec([None, 3, 16, 16], "float32", "x")]
)

suffix = ".json" if os.path.exists(prefix + ".json") else ".pdmodel"
config = paddle.inference.Config(prefix + suffix, prefix + ".pdiparams")
config.disable_glog_info()
predictor = paddle.inference.create_predictor(config)
x = rng.standard_normal((2, 3, 16, 16)).astype("float32")
handle = predictor.get_input_handle(predictor.get_input_names()[0])
handle.copy_from_cpu(x)
predictor.run()
y = predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
np.save(os.path.join(out_dir, "x.npy"), x)
np.save(os.path.join(out_dir, "paddle_y.npy"), y)
print(suffix, sorted(os.listdir(os.path.join(out_dir, "model"))))
