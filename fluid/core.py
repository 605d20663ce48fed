"""Legacy Paddle Inference names (``fluid.core``) as thin aliases of ``paddlec.inference``.

The seed's serving code runs with only its import changed::

    from paddlec.fluid.core import AnalysisConfig, create_paddle_predictor
    config = AnalysisConfig("./model")
    config.switch_use_feed_fetch_ops(False)
    config.switch_specify_input_names(True)
    predictor = create_paddle_predictor(config)
    predictor.get_input_tensor(name).copy_from_cpu(x)
    predictor.zero_copy_run()
    y = predictor.get_output_tensor(predictor.get_output_names()[0]).copy_to_cpu()
"""

from __future__ import annotations

from ..inference import Config, PrecisionType, Predictor, Tensor, create_predictor

__all__ = [
    "AnalysisConfig",
    "AnalysisPredictor",
    "PrecisionType",
    "ZeroCopyTensor",
    "create_paddle_predictor",
]

AnalysisConfig = Config
ZeroCopyTensor = Tensor


class AnalysisPredictor(Predictor):
    """A :class:`~paddlec.inference.Predictor` that also answers to the 1.x/2.x names."""

    def get_input_tensor(self, name: str) -> Tensor:
        return self.get_input_handle(name)

    def get_output_tensor(self, name: str) -> Tensor:
        return self.get_output_handle(name)

    def zero_copy_run(self) -> bool:
        self.run()
        return True


def create_paddle_predictor(config: Config) -> AnalysisPredictor:
    return create_predictor(config, predictor_class=AnalysisPredictor)
