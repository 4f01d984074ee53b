"""Deployment: the image-only student as ONNX, run by onnxruntime.

:func:`export_checked` traces the student with its DDIM loop unrolled and
checks onnxruntime against PyTorch; :class:`ONNXSegmentor` runs the graph
inside the config's pre- and post-processing (``tools/infer.py --backend
onnxruntime``, ``tools/benchmark.py --backend``). Needs the ``deploy`` extra
(onnx, onnxruntime), imported only when used.
"""
from .onnx_export import (OPSET, PARITY_MAX_DIFF, PARITY_MIN_AGREEMENT, ParityError,
                          ParityReport, StudentGraph, check_exportable, check_parity,
                          export_checked, export_student, feature_rule, feature_size,
                          noise_size, onnx_session, parity_inputs, parity_sizes,
                          student_metadata, with_metadata)
from .onnx_runtime import ONNXSegmentor, init_onnx_segmentor

__all__ = [
    'OPSET', 'PARITY_MAX_DIFF', 'PARITY_MIN_AGREEMENT', 'ParityError', 'ParityReport',
    'StudentGraph', 'check_exportable', 'check_parity', 'export_checked', 'export_student',
    'feature_rule', 'feature_size', 'noise_size', 'onnx_session', 'parity_inputs',
    'parity_sizes', 'student_metadata', 'with_metadata',
    'ONNXSegmentor', 'init_onnx_segmentor'
]
