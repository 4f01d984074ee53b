"""Export the image-only student to ONNX, and check it against PyTorch.

Written for DCCD (Apache-2.0), in the spirit of mmsegmentation 0.x's
``tools/pytorch2onnx.py`` (Apache-2.0), which 1.x dropped for mmdeploy. The
graph maps a normalised image (N, 3, H, W) and the DDIM start noise
(N, channels, H/4, W/4) to the class logits of the last DDIM step
(N, num_classes, H/4, W/4): backbone, neck and the diffusion head's DDIM
loop, unrolled for a fixed number of steps (DDP, Ji et al., ICCV 2023;
the student of Hou et al. 2024).

**The noise is an input of the graph.** PyTorch seeds each image's start
noise from its file name (:func:`~dccd.models.layers.noise_schedule.image_noise`,
torch's generator); ONNX's ``RandomNormal`` draws other numbers, so a graph
that drew its own noise could only match PyTorch in distribution. Taking the
noise as an input, the exported model gives the same logits as PyTorch for
the same image (parity is checked on every export), and the runtime
(:class:`~dccd.deployment.ONNXSegmentor`) computes the noise with the same
function. The argmax inside each DDIM step (the predicted map is embedded
again) is discrete: a logit that differs by float rounding can flip a pixel
at a near-tie and change the next step's input there, which the parity
check would show.

The graph is traced with torch's TorchScript-based exporter (``dynamo=False``,
opset 17: ``GridSample`` for the deformable attention, opset >= 16; the
deformable attention reads its level sizes from a tensor, which
``torch.export`` cannot trace). By default the image size is fixed in the
graph; a dynamic graph (``dynamic=True``) takes any batch and image size, and
its metadata says how the noise's size follows from the image's
(:func:`feature_rule`: the feature's stride and rounding, checked on the
parity inputs' sizes).
"""
import io
import json
import math
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ..models.layers.noise_schedule import image_noise
from ..models.segmentors import SelfDistillSegmentor
from ..utils import InputError

__all__ = [
    'StudentGraph', 'ParityError', 'ParityReport', 'check_exportable', 'feature_size',
    'export_student', 'onnx_session', 'parity_inputs', 'check_parity', 'with_metadata',
    'student_metadata', 'export_checked', 'feature_rule', 'noise_size', 'parity_sizes',
    'OPSET', 'PARITY_MAX_DIFF', 'PARITY_MIN_AGREEMENT', 'INPUT_NAMES', 'OUTPUT_NAME'
]

#: ``GridSample`` (the deformable attention's bilinear sampling) needs opset 16.
OPSET = 17
#: An export passes when the logits differ by at most this much ...
PARITY_MAX_DIFF = 1e-3
#: ... and their argmax agrees on at least this share of the pixels.
PARITY_MIN_AGREEMENT = 0.999
INPUT_NAMES = ('image', 'noise')
OUTPUT_NAME = 'logits'


class ParityError(RuntimeError):
    """The exported graph does not give PyTorch's logits."""


class ParityReport(NamedTuple):
    """How far onnxruntime's logits are from PyTorch's.

    Attributes:
        max_abs_diff: the largest |difference| of any logit.
        argmax_agreement: share of the pixels whose argmax agrees (0-1).
        pixels: pixels compared (over all inputs).
        inputs: number of inputs.
    """
    max_abs_diff: float
    argmax_agreement: float
    pixels: int
    inputs: int

    @property
    def passed(self) -> bool:
        return (self.max_abs_diff <= PARITY_MAX_DIFF
                and self.argmax_agreement >= PARITY_MIN_AGREEMENT)

    def __str__(self) -> str:
        return (f'max |diff| {self.max_abs_diff:.2e} (limit {PARITY_MAX_DIFF:g}), argmax '
                f'agreement {100 * self.argmax_agreement:.3f} % of {self.pixels} pixels '
                f'(limit {100 * PARITY_MIN_AGREEMENT:g} %), {self.inputs} inputs')


class StudentGraph(nn.Module):
    """The image-only student as one module: (image, noise) -> logits.

    Args:
        segmentor (SelfDistillSegmentor): A DDP or DCCD model.
        steps (int): DDIM steps, unrolled.
    """

    def __init__(self, segmentor: SelfDistillSegmentor, steps: int):
        super().__init__()
        self.segmentor = segmentor
        self.steps = steps

    def forward(self, image: Tensor, noise: Tensor) -> Tensor:
        """image: (N, 3, H, W) normalised; noise: (N, channels, h, w) ->
        logits (N, num_classes, h, w), (h, w) the image feature's size."""
        feature = self.segmentor.branch_feature(self.segmentor.extract_feat(image)[0],
                                                'student')
        # no metas: they only seed the noise, which is given
        return self.segmentor.decode_head.sample([feature], [], self.steps, noise=noise)


def check_exportable(model: nn.Module) -> None:
    """InputError unless ``model`` has a trained image-only student."""
    if not isinstance(model, SelfDistillSegmentor):
        raise InputError(f'only DCCD segmentors (SelfDistillSegmentor) export, got '
                         f'{type(model).__name__}')
    if model.kind == 'dcc':
        raise InputError('this DCC model was trained as the teacher only: it has no '
                         'image-only student to export (the teacher, which reads an '
                         'ingredient list, does not export)')


def feature_size(model: SelfDistillSegmentor, size: Sequence[int]) -> Tuple[int, int]:
    """(h, w) of the image feature (and of the noise) for an (H, W) input."""
    with torch.no_grad():
        image = torch.zeros((1, 3, *size), device=next(model.parameters()).device)
        return tuple(model.extract_feat(image)[0].shape[-2:])


def feature_rule(model: SelfDistillSegmentor, size: Sequence[int]) -> Tuple[int, str]:
    """How the image feature's size follows from the input's: (stride,
    'floor' | 'ceil'), the stride from ``size``, the rounding from an input
    one pixel taller than 16 strides (a strided conv without padding
    floors, TF 'SAME' padding ceils)."""
    stride = round(size[0] / feature_size(model, size)[0])
    probe = feature_size(model, (16 * stride + 1, size[1]))[0]
    return stride, 'ceil' if probe > 16 else 'floor'


def noise_size(size: Sequence[int], stride: int, rounding: str) -> Tuple[int, int]:
    """(h, w) of the feature, and of the noise, for an (H, W) input."""
    op = math.ceil if rounding == 'ceil' else math.floor
    return tuple(int(op(side / stride)) for side in size)


def parity_sizes(size: Sequence[int], dynamic: bool = False) -> List[Tuple[int, int]]:
    """The (H, W) of the 3 parity inputs: the export size; for a dynamic
    graph also a taller input and one of odd sides."""
    height, width = size
    if not dynamic:
        return [(height, width)] * 3
    return [(height, width), (height + 32, width), (height + 17, width + 9)]


def parity_inputs(model: SelfDistillSegmentor, sizes: Sequence[Sequence[int]],
                  batch: int = 1, seed: int = 0) -> List[Tuple[Tensor, Tensor]]:
    """One (image, noise) pair per (H, W) of ``sizes``: seeded standard-normal
    images (a normalised image's range) and each image's noise as PyTorch
    draws it for a file named ``parity_<i>_<j>.png``."""
    gen = torch.Generator().manual_seed(seed)
    pairs = []
    for i, size in enumerate(sizes):
        image = torch.randn((batch, 3, *size), generator=gen)
        metas = [dict(img_path=f'parity_{i}_{j}.png') for j in range(batch)]
        noise_shape = (model.decode_head.channels, *feature_size(model, size))
        pairs.append((image, image_noise(metas, noise_shape, model.test_cfg.seed)))
    return pairs


def export_student(model: SelfDistillSegmentor, size: Sequence[int], steps: int,
                   batch: int = 1, dynamic: bool = False) -> bytes:
    """The student of ``model`` (on the CPU, eval mode) as ONNX bytes.

    Args:
        model: A DDP or DCCD model (:func:`check_exportable`).
        size: (H, W) of the input image, fixed in the graph (of the example
            input with ``dynamic``).
        steps: DDIM steps, unrolled.
        batch: Batch size of the graph (of the example input with
            ``dynamic``).
        dynamic: Leave the batch and the image size free.

    Returns:
        bytes: The serialised ONNX model (inputs ``image``, ``noise``; output
        ``logits``).
    """
    check_exportable(model)
    model.eval()
    image, noise = parity_inputs(model, [size], batch=batch)[0]
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {name: {0: 'batch', 2: f'{prefix}height', 3: f'{prefix}width'}
                        for name, prefix in zip((*INPUT_NAMES, OUTPUT_NAME),
                                                ('', 'feature_', 'feature_'))}
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer's notes on shapes read as Python numbers, and the
        # exporter's on being TorchScript-based: both expected (see above)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', category=DeprecationWarning, module=r'torch\.onnx')
        warnings.filterwarnings('ignore', message='.*legacy TorchScript-based ONNX export')
        warnings.filterwarnings('ignore', category=UserWarning, module=r'torch\.onnx')
        torch.onnx.export(StudentGraph(model, steps), (image, noise), buffer,
                          input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                          opset_version=OPSET, dynamic_axes=dynamic_axes, dynamo=False)
    return buffer.getvalue()


def onnx_session(model, threads: Optional[int] = None, device: str = 'cpu'):
    """An onnxruntime session of ``model`` (bytes or a file name).

    Args:
        threads: intra-op threads; None: torch's thread count (so a
            comparison with PyTorch uses as many).
        device: 'cpu', or 'cuda' for onnxruntime's CUDA provider.
    """
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.log_severity_level = 3  # errors only
    providers = ['CPUExecutionProvider']
    if device.startswith('cuda'):
        providers.insert(0, 'CUDAExecutionProvider')
    return ort.InferenceSession(model, options, providers=providers)


def check_parity(session, model: SelfDistillSegmentor, steps: int,
                 inputs: List[Tuple[Tensor, Tensor]]) -> ParityReport:
    """Run onnxruntime and PyTorch on ``inputs``; how far their logits are."""
    graph = StudentGraph(model, steps).eval()
    max_diff, agree, pixels = 0.0, 0, 0
    for image, noise in inputs:
        with torch.no_grad():
            expected = graph(image, noise).numpy()
        got = session.run([OUTPUT_NAME], {'image': image.numpy(), 'noise': noise.numpy()})[0]
        if got.shape != expected.shape:
            raise ParityError(f'onnxruntime gives logits of shape {got.shape}, PyTorch '
                              f'{expected.shape}')
        max_diff = max(max_diff, float(np.abs(got - expected).max()))
        agree += int((got.argmax(1) == expected.argmax(1)).sum())
        pixels += expected.shape[0] * expected.shape[2] * expected.shape[3]
    return ParityReport(max_diff, agree / pixels, pixels, len(inputs))


def with_metadata(onnx_bytes: bytes, metadata: Dict[str, str]) -> bytes:
    """``onnx_bytes`` with ``metadata`` (strings) as the model's metadata_props."""
    import onnx
    proto = onnx.load_from_string(onnx_bytes)
    onnx.helper.set_model_props(proto, {k: str(v) for k, v in metadata.items()})
    return proto.SerializeToString()


def student_metadata(model: SelfDistillSegmentor, steps: int, size: Sequence[int],
                     report: Optional[ParityReport] = None,
                     rule: Optional[Tuple[int, str]] = None) -> Dict[str, str]:
    """What the runtime needs besides the graph: DDIM steps, noise seed,
    classes and palette (``model.dataset_meta`` when set), the parity, and
    for a dynamic graph the :func:`feature_rule`."""
    meta = dict(dccd_kind=model.kind, dccd_branch='student', dccd_steps=steps,
                dccd_seed=model.test_cfg.seed, dccd_size=json.dumps(list(size)),
                dccd_noise='input: image_noise(file name, dccd_seed), (N, channels, h, w)')
    if rule is not None:
        meta.update(dccd_feature_stride=rule[0], dccd_feature_rounding=rule[1])
    dataset_meta = getattr(model, 'dataset_meta', None) or {}
    for key in ('classes', 'palette'):
        if dataset_meta.get(key) is not None:
            meta[f'dccd_{key}'] = json.dumps([list(v) if isinstance(v, (list, tuple)) else v
                                              for v in dataset_meta[key]])
    if report is not None:
        meta.update(dccd_parity_max_abs_diff=f'{report.max_abs_diff:.3e}',
                    dccd_parity_argmax_agreement=f'{report.argmax_agreement:.6f}')
    return {k: str(v) for k, v in meta.items()}


def export_checked(model: SelfDistillSegmentor, size: Sequence[int], steps: int,
                   batch: int = 1, dynamic: bool = False,
                   threads: Optional[int] = None) -> Tuple[bytes, ParityReport]:
    """:func:`export_student`, then parity on 3 inputs (of 3 sizes when
    ``dynamic``: :func:`parity_sizes`), then metadata.

    Returns:
        tuple: the ONNX bytes (with :func:`student_metadata`) and the parity.

    Raises:
        ParityError: onnxruntime's logits are not PyTorch's (max |diff| above
            ``PARITY_MAX_DIFF`` or argmax agreement below
            ``PARITY_MIN_AGREEMENT``).
    """
    sizes = parity_sizes(size, dynamic)
    rule = feature_rule(model, size) if dynamic else None
    for other in sizes if dynamic else ():
        if noise_size(other, *rule) != feature_size(model, other):
            raise ParityError(f'the feature size of a {other[0]}x{other[1]} input is not '
                              f'its size / {rule[0]} ({rule[1]}): export a fixed size')
    data = export_student(model, size, steps, batch, dynamic)
    report = check_parity(onnx_session(data, threads), model, steps,
                          parity_inputs(model, sizes, batch))
    if not report.passed:
        raise ParityError(f'onnxruntime does not reproduce PyTorch: {report}')
    return with_metadata(data, student_metadata(model, steps, size, report, rule)), report
