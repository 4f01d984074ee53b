"""Photo in, mask out: the files the inference tools share.

Written for DCCD (Apache-2.0). ``tools/infer.py`` and the browser demo
(``tools/demo/gradio_app.py``) read the same photos, take the same typed
ingredient lists and write the same class-id masks; this module is what they
share, so that a bad photo gets the same line in a terminal and in the page,
and the mask the demo offers for download is, byte for byte, the file
``infer.py`` writes for that photo and those settings:

- :func:`check_image_file`: a whole, decodable image within the pixel limit
  (empty files, truncated JPEG/PNG, files that are no image, more pixels than
  Pillow's ``MAX_IMAGE_PIXELS``), before the model sees it;
- :func:`parse_ingredients`: ``'rice, Egg ,'`` -> ``['rice', 'Egg']``, or the
  reserved word ``'auto'``;
- :func:`mask_file_name`, :func:`check_mask_classes`, :func:`write_mask_png`:
  ``<name>_mask.png``, one uint8 class id per pixel at the photo's size.
"""
import contextlib
import io
import os.path as osp
from typing import List, Optional, Union

import mmengine.fileio as fileio
import numpy as np
import torch

from ..datasets.file_checks import decode_image, verify_image_bytes
from ..utils import InputError
from ..utils.atomic_io import write_image_atomic
from .inference import AUTO, header_size

__all__ = ['check_image_file', 'parse_ingredients', 'mask_file_name',
           'check_mask_classes', 'write_mask_png']

#: A uint8 PNG holds class ids 0..255.
MAX_MASK_CLASSES = 256


def check_image_file(path: str) -> None:
    """Raise InputError naming ``path`` unless it is a whole, decodable image
    within the pixel limit (Pillow's ``MAX_IMAGE_PIXELS``), which is checked
    on the header, before decoding: a small PNG can claim a huge canvas."""
    try:
        data = fileio.get(path)
    except OSError as exc:
        raise InputError(f'cannot read image {path}: {exc.strerror or exc}') from exc
    verify_image_bytes(data, path)
    with contextlib.suppress(OSError, SyntaxError):  # not Pillow's to read: OpenCV decides
        header_size(io.BytesIO(data), path)
    decode_image(data, path)


def parse_ingredients(text: Optional[str]) -> Union[None, str, List[str]]:
    """A typed ingredient list for :func:`~dccd.apis.segment_food`.

    ``'rice, Egg ,'`` -> ``['rice', 'Egg']``; None stays None (the student),
    ``''`` -> ``[]`` (the teacher's generic prompt); the reserved word
    ``'auto'`` stays ``'auto'``.
    """
    if text is None or text.strip() == AUTO:
        return None if text is None else AUTO
    return [name.strip() for name in text.split(',') if name.strip()]


def mask_file_name(image: str) -> str:
    """``<stem>_mask.png``: the class-id mask of ``image``."""
    return f'{osp.splitext(osp.basename(image))[0]}_mask.png'


def check_mask_classes(model: torch.nn.Module, where: str) -> None:
    """InputError (naming ``where``, e.g. the config) when the model's
    classes do not fit a uint8 mask PNG."""
    if len(model.dataset_meta['classes']) > MAX_MASK_CLASSES:
        raise InputError(f'{where}: more than {MAX_MASK_CLASSES} classes do not fit the '
                         'uint8 mask PNG')


def write_mask_png(path: str, mask: np.ndarray) -> None:
    """Write a (H, W) class-id mask as a one-channel uint8 PNG, whole or
    not at all (:func:`~dccd.utils.atomic_io.write_image_atomic`)."""
    write_image_atomic(path, np.asarray(mask).astype(np.uint8))
