"""Run an exported student with onnxruntime, with the config's pre- and post-processing.

Written for DCCD (Apache-2.0), after mmdeploy's end-to-end backend models
(a backend session inside the codebase's pre- and post-processing). The
config gives the test pipeline and the data pre-processor (normalisation,
then padding to the exported size); the ONNX file gives the logits (its
metadata the DDIM steps, the noise seed and the class names, written by
:func:`~dccd.deployment.export_checked`). The start noise is computed as
PyTorch computes it (:func:`~dccd.models.layers.noise_schedule.image_noise`),
so an image gets the same noise, and the same mask, from both.
:class:`ONNXSegmentor` has the surface :func:`dccd.apis.segment_food` uses
(``predict_branch``, ``test_cfg``, ``cfg``, ``dataset_meta``).
"""
import copy
import json
import os.path as osp
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import DATASETS
from mmseg.utils import SampleList
from torch import Tensor

from ..models.layers.noise_schedule import image_noise
from ..utils import InputError, get_classes, get_palette, load_config, one_line_error
from .onnx_export import INPUT_NAMES, OUTPUT_NAME, noise_size, onnx_session

__all__ = ['ONNXSegmentor', 'init_onnx_segmentor']


class ONNXSegmentor(BaseSegmentor):
    """An exported image-only student, run by an onnxruntime session.

    Args:
        session: ``onnxruntime.InferenceSession`` of a graph written by
            ``tools/deployment/pytorch2onnx.py``.
        cfg (Config): The model's config (data pre-processor, test pipeline,
            ``decode_head.align_corners``).
        metadata (dict): The graph's metadata (``dccd_steps``, ``dccd_seed``,
            ``dccd_kind``).
        dataset_meta (dict): ``classes`` and ``palette``.
    """

    def __init__(self, session, cfg: Config, metadata: dict, dataset_meta: dict):
        image, noise = session.get_inputs()
        # a fixed-size graph: inputs are padded to its size; a dynamic one
        # (its size named, not a number) takes what PyTorch would take
        self.input_size = None
        preprocessor = copy.deepcopy(cfg.model.data_preprocessor)
        if 'dccd_feature_stride' not in metadata:
            self.input_size = tuple(image.shape[2:])
            preprocessor['test_cfg'] = dict(size=self.input_size)
        super().__init__(data_preprocessor=preprocessor)
        self.feature_rule = (int(metadata.get('dccd_feature_stride', 0)),
                             metadata.get('dccd_feature_rounding'))
        self.session = session
        self.cfg = cfg
        self.dataset_meta = dataset_meta
        self.class_names = list(dataset_meta['classes'])
        self.kind = metadata.get('dccd_kind', 'ddp')
        self.steps = int(metadata['dccd_steps'])
        self.noise_channels = noise.shape[1]
        self.graph_batch = image.shape[0]  # an int, or a name when dynamic
        self.align_corners = cfg.model.decode_head.get('align_corners', False)
        self.test_cfg = ConfigDict(mode='whole', branch='student', steps=self.steps,
                                   seed=int(metadata.get('dccd_seed', 0)))

    def run(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """The graph's logits (N, num_classes, h, w) for pre-processed images."""
        size = tuple(inputs.shape[-2:])
        if self.input_size is None:
            noise_shape = (self.noise_channels, *noise_size(size, *self.feature_rule))
        elif size == self.input_size:
            noise_shape = tuple(self.session.get_inputs()[1].shape[1:])
        else:
            raise InputError(
                f'the network input is {size[1]}x{size[0]} px, larger than the '
                f'{self.input_size[1]}x{self.input_size[0]} the model was exported at: '
                f'export it again with --size (at least {size[0]} {size[1]}) or --dynamic')
        noise = image_noise(batch_img_metas, noise_shape, self.test_cfg.seed)
        chunk = self.graph_batch if isinstance(self.graph_batch, int) else len(inputs)
        logits = [self.session.run([OUTPUT_NAME], {
            INPUT_NAMES[0]: inputs[i:i + chunk].float().cpu().numpy(),
            INPUT_NAMES[1]: noise[i:i + chunk].numpy()})[0]
            for i in range(0, len(inputs), chunk)]
        return torch.from_numpy(np.concatenate(logits))

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits resized to the (padded) input, as the decode head's
        ``predict_by_feat``."""
        meta = batch_img_metas[0]
        size = meta.get('pad_shape', meta['img_shape'])[:2]
        return resize(self.run(inputs, batch_img_metas), size=size, mode='bilinear',
                      align_corners=self.align_corners)

    def predict_branch(self, inputs: Tensor, data_samples: SampleList,
                       branch: str = 'student', ingredients=None,
                       steps: Optional[int] = None) -> SampleList:
        """:meth:`SelfDistillSegmentor.predict_branch` for the exported student.

        Raises:
            InputError: the teacher, ingredients, or another number of DDIM
                steps than the graph unrolls.
        """
        if branch != 'student' or ingredients is not None:
            raise InputError('an exported model is the image-only student: it takes no '
                             'ingredients (run the teacher with the PyTorch checkpoint)')
        if steps is not None and steps != self.steps:
            raise InputError(f'the ONNX model unrolls {self.steps} DDIM step(s), not '
                             f'{steps}: export it again with --steps {steps}')
        logits = self.encode_decode(inputs, [s.metainfo for s in data_samples])
        return self.postprocess_result(logits, data_samples)

    def predict(self, inputs: Tensor, data_samples: SampleList = None) -> SampleList:
        return self.predict_branch(inputs, data_samples)

    def extract_feat(self, inputs: Tensor):
        raise NotImplementedError('the exported graph gives logits only')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        raise NotImplementedError('an exported model does not train')

    def _forward(self, inputs: Tensor, data_samples: SampleList = None) -> Tensor:
        metas = [s.metainfo for s in data_samples] if data_samples else [
            dict() for _ in range(len(inputs))]
        return self.run(inputs, metas)


def _dataset_meta(cfg: Config, metadata: dict, num_classes: int) -> dict:
    """Classes and palette: the graph's (those of the checkpoint it came
    from), else the config's ``model.class_names`` or test dataset."""
    classes = palette = None
    if 'dccd_classes' in metadata:
        classes = json.loads(metadata['dccd_classes'])
        palette = json.loads(metadata['dccd_palette']) if 'dccd_palette' in metadata else None
    elif cfg.model.get('class_names') is not None:
        classes = get_classes(cfg.model.class_names)
    else:
        dataset = DATASETS.get(cfg.get('test_dataloader', {}).get('dataset', {}).get('type'))
        classes = getattr(dataset, 'METAINFO', {}).get('classes')
    if classes is None or len(classes) != num_classes:
        classes = [f'class {i}' for i in range(num_classes)]
    if palette is None or len(palette) != len(classes):
        palette = get_palette(len(classes))
    return dict(classes=list(classes), palette=[list(c) for c in palette])


def _open_session(onnx_model: Union[str, bytes], device: str, threads: Optional[int]):
    """An onnxruntime session; InputError for what a user can get wrong."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise InputError('--backend onnxruntime needs onnxruntime: pip install -c '
                         'constraints.txt -e ".[deploy]"') from None
    name = 'the ONNX model' if isinstance(onnx_model, bytes) else onnx_model
    if not isinstance(onnx_model, bytes) and not osp.isfile(onnx_model):
        raise InputError(f'ONNX model not found: {onnx_model}')
    if not device.startswith(('cpu', 'cuda')):
        raise InputError(f"device '{device}': use cpu or cuda")
    if device.startswith('cuda') and 'CUDAExecutionProvider' not in ort.get_available_providers():
        raise InputError(f"device '{device}': this onnxruntime has no CUDA provider "
                         '(use --device cpu, or install onnxruntime-gpu)')
    try:
        return onnx_session(onnx_model, threads, device)
    except Exception as exc:  # onnxruntime raises its own types for bad files
        raise InputError(f'{name}: not an ONNX model onnxruntime can load '
                         f'({one_line_error(exc)})') from None


def init_onnx_segmentor(config: Union[str, Config], onnx_file: Union[str, bytes],
                        device: str = 'cpu', cfg_options: Optional[dict] = None,
                        threads: Optional[int] = None) -> ONNXSegmentor:
    """:func:`dccd.apis.init_segmentor` for an exported student.

    Args:
        config: The config file the model was exported from (or a Config).
        onnx_file: Written by ``tools/deployment/pytorch2onnx.py`` (or its
            bytes).
        device: 'cpu', or 'cuda' with onnxruntime's CUDA provider.
        cfg_options: Overrides of the config (every key must exist).
        threads: onnxruntime's intra-op threads; None: torch's thread count.

    Raises:
        InputError: a missing or bad file, a graph without DCCD's metadata,
            or one with another number of classes than the config.
    """
    cfg = load_config(str(config), cfg_options) if not isinstance(config, Config) \
        else copy.deepcopy(config)
    name = 'the ONNX model' if isinstance(onnx_file, bytes) else onnx_file
    session = _open_session(onnx_file, device, threads)
    metadata = session.get_modelmeta().custom_metadata_map
    names = [i.name for i in session.get_inputs()]
    if 'dccd_steps' not in metadata or names != list(INPUT_NAMES):
        raise InputError(f'{name} was not written by tools/deployment/pytorch2onnx.py '
                         f'(inputs {names}, no dccd_steps metadata)')
    num_classes = session.get_outputs()[0].shape[1]
    if num_classes != cfg.model.decode_head.num_classes:
        raise InputError(f'{name} gives {num_classes} classes, the config '
                         f'{cfg.model.decode_head.num_classes}: use the config it was '
                         'exported from')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = ONNXSegmentor(session, cfg, metadata, _dataset_meta(cfg, metadata, num_classes))
    return model.eval()
