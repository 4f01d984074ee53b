"""File checks shared by DCCD's datasets, loading transforms and dataset tools.

Written for DCCD (Apache-2.0). Three things a user's data can get wrong are
caught here, each as an :class:`~dccd.utils.InputError` (or a problem line in
the ``--check`` tools) that names the file:

- **Pairing**: every image needs a mask of the same name and the reverse
  (:func:`pair_files`). Hidden files (``.*``, e.g. macOS ``._x.jpg``) are
  ignored, as are the converters' ``*.tmp`` files.
- **Truncation**: OpenCV 4 decodes a truncated JPEG without complaint, filling
  the missing part with grey. :func:`verify_image_bytes` refuses empty files,
  a JPEG whose last end-of-image marker (``FF D9``) does not follow its last
  start-of-scan marker (``FF DA``), and a PNG without its ``IEND`` chunk; this
  tolerates thumbnails and data appended after the image.
- **Content** (for the ``--check`` tools): :func:`check_pair` decodes both files
  and reports size mismatches and label ids outside the classes.
"""
import io
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import mmengine.fileio as fileio
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..utils import InputError
from ..utils.ingredients import present_ids

__all__ = [
    'FilePairs', 'list_files', 'pair_files', 'require_dir', 'verify_image_bytes',
    'decode_image', 'decode_mask', 'check_pair', 'check_folder_pairs',
    'size_mismatch', 'bad_ids'
]

_JPEG_SOI = b'\xff\xd8'
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


class FilePairs(NamedTuple):
    """Images matched with masks by name.

    Attributes:
        pairs: ``(image_path, mask_path)`` for every matched name, sorted.
        images_without_mask: ``(image_path, expected_mask_path)``.
        masks_without_image: ``(mask_path, expected_image_path)``.
    """
    pairs: List[Tuple[str, str]]
    images_without_mask: List[Tuple[str, str]]
    masks_without_image: List[Tuple[str, str]]


def list_files(folder: str, suffix: str,
               backend_args: Optional[dict] = None) -> Dict[str, str]:
    """Files under ``folder`` (recursively) ending in ``suffix``, hidden ones skipped.

    Args:
        folder: directory to list.
        suffix: file name ending, e.g. ``'.jpg'``.
        backend_args: mmengine file backend arguments.

    Returns:
        dict: relative path without the suffix -> full path.
    """
    found = {}
    for rel in fileio.list_dir_or_file(folder, list_dir=False, suffix=suffix,
                                       recursive=True, backend_args=backend_args):
        if any(part.startswith('.') for part in rel.replace('\\', '/').split('/')):
            continue
        found[rel[:-len(suffix)]] = fileio.join_path(
            folder, rel, backend_args=backend_args)
    return found


def pair_files(img_dir: str, ann_dir: str, img_suffix: str, seg_map_suffix: str,
               backend_args: Optional[dict] = None) -> FilePairs:
    """Match ``img_dir/<name><img_suffix>`` with ``ann_dir/<name><seg_map_suffix>``.

    Args:
        img_dir: image folder.
        ann_dir: mask folder.
        img_suffix: image file ending.
        seg_map_suffix: mask file ending.
        backend_args: mmengine file backend arguments.

    Returns:
        FilePairs: matched pairs and the files left without a partner.
    """
    images = list_files(img_dir, img_suffix, backend_args)
    masks = list_files(ann_dir, seg_map_suffix, backend_args)
    join = fileio.join_path
    return FilePairs(
        pairs=[(images[k], masks[k]) for k in sorted(images) if k in masks],
        images_without_mask=[
            (images[k], join(ann_dir, k + seg_map_suffix, backend_args=backend_args))
            for k in sorted(images) if k not in masks],
        masks_without_image=[
            (masks[k], join(img_dir, k + img_suffix, backend_args=backend_args))
            for k in sorted(masks) if k not in images])


def require_dir(path: str, what: str, hint: str = '',
                backend_args: Optional[dict] = None) -> None:
    """Raise InputError ``'<what> not found: <path>'`` unless ``path`` is a folder.

    Args:
        path: folder that must exist.
        what: what it is, e.g. ``'FoodSeg103Dataset: image folder'``.
        hint: appended to the message (start it with ``'; '``).
        backend_args: mmengine file backend arguments.
    """
    if not fileio.isdir(path, backend_args=backend_args):
        raise InputError(f'{what} not found: {path}{hint}')


def verify_image_bytes(data: bytes, path: str) -> None:
    """Raise InputError naming ``path`` if ``data`` is empty or a truncated JPEG/PNG.

    Cheap (no decoding); other formats are only checked for emptiness.

    Args:
        data: the file's bytes.
        path: the file, for the message.
    """
    if not data:
        raise InputError(f'empty image file: {path}')
    if data.startswith(_JPEG_SOI):
        if data.rfind(b'\xff\xd9') < max(data.rfind(b'\xff\xda'), 2):
            raise InputError(
                f'truncated JPEG (no end-of-image marker after the image data): {path}')
    elif data.startswith(_PNG_SIGNATURE):
        if b'IEND' not in data[-1024:]:
            raise InputError(f'truncated PNG (no IEND chunk): {path}')


def decode_image(data: bytes, path: str) -> np.ndarray:
    """Verify and decode image bytes to a (H, W, 3) BGR uint8 array.

    Args:
        data: the file's bytes.
        path: the file, for the message.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR.
    """
    verify_image_bytes(data, path)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f'cannot decode image: {path}')
    return img


def decode_mask(data: bytes, path: str) -> np.ndarray:
    """Verify and decode a mask as mmseg's ``LoadAnnotations`` sees it (Pillow).

    Args:
        data: the file's bytes.
        path: the file, for the message.

    Returns:
        np.ndarray: (H, W) label values (palette indices for a palette
        PNG), or (H, W, C) in RGB(A) order for a colour mask.
    """
    verify_image_bytes(data, path)
    try:
        with Image.open(io.BytesIO(data)) as pil:
            return np.array(pil)
    except UnidentifiedImageError:
        raise InputError(f'cannot decode mask: {path}') from None
    except Exception as exc:  # truncated or corrupt data
        raise InputError(f'cannot decode mask {path}: {exc}') from exc


def check_pair(img_path: str, mask_path: str, num_classes: int,
               ignore_index: int = 255, mask_channel: Optional[int] = None
               ) -> Tuple[Optional[np.ndarray], List[str]]:
    """Decode an image/mask pair and list what is wrong with it.

    Args:
        img_path: image file.
        mask_path: mask file.
        num_classes: valid ids are ``0 .. num_classes - 1`` and ``ignore_index``.
        ignore_index: the unlabelled value.
        mask_channel: for colour masks, the RGB channel holding the id
            (0 = red); None when masks must have one channel.

    Returns:
        tuple: the (H, W) label map (None if unreadable) and the problems,
        one line each, naming the files.
    """
    problems = []
    try:
        img = decode_image(fileio.get(img_path), img_path)
    except InputError as exc:
        img = None
        problems.append(str(exc))
    except OSError as exc:
        img = None
        problems.append(f'unreadable image {img_path}: {exc}')
    try:
        mask = decode_mask(fileio.get(mask_path), mask_path)
    except InputError as exc:
        return None, problems + [str(exc)]
    except OSError as exc:
        return None, problems + [f'unreadable mask {mask_path}: {exc}']
    if mask.ndim == 3 and mask_channel is not None:
        mask = mask[..., mask_channel]
    elif mask.ndim != 2:
        problems.append(
            f'mask has shape {mask.shape}, expected one channel: {mask_path}')
        return None, problems
    if img is not None and img.shape[:2] != mask.shape:
        problems.append(size_mismatch(img_path, img.shape[:2], mask_path, mask.shape))
    bad = [i for i in present_ids(mask) if i >= num_classes and i != ignore_index]
    if bad:
        problems.append(bad_ids(mask_path, bad, num_classes, ignore_index))
    return mask, problems


def size_mismatch(img_path: str, img_hw: Sequence[int], mask_path: str,
                  mask_hw: Sequence[int]) -> str:
    """The one-line message for an image and mask of different sizes.

    Args:
        img_path: image file.
        img_hw: its (H, W).
        mask_path: mask file.
        mask_hw: its (H, W).
    """
    swapped = tuple(img_hw) == tuple(mask_hw)[::-1]
    swapped = ' (width and height swapped)' if swapped else ''
    return (f'size mismatch{swapped}: image {img_path} is {img_hw[1]}x{img_hw[0]} '
            f'but mask {mask_path} is {mask_hw[1]}x{mask_hw[0]} (WxH)')


def bad_ids(mask_path: str, ids: Sequence[int], num_classes: int,
            ignore_index: int) -> str:
    """The one-line message for label ids outside the classes.

    Args:
        mask_path: mask file.
        ids: the offending ids.
        num_classes: number of classes.
        ignore_index: the unlabelled value.
    """
    return (f'mask {mask_path} has label id(s) {list(ids)}; valid ids are '
            f'0..{num_classes - 1} and {ignore_index} (ignore)')


def _check_one(job: tuple) -> List[str]:
    return check_pair(*job)[1]


def check_folder_pairs(img_dir: str, ann_dir: str, img_suffix: str,
                       seg_map_suffix: str, num_classes: int, ignore_index: int = 255,
                       mask_channel: Optional[int] = None, nproc: int = 1
                       ) -> Tuple[int, List[str]]:
    """Pair two folders and check every pair (the ``--check`` tools' core).

    Args:
        img_dir: image folder.
        ann_dir: mask folder.
        img_suffix: image file ending.
        seg_map_suffix: mask file ending.
        num_classes: number of classes.
        ignore_index: the unlabelled value.
        mask_channel: see :func:`check_pair`.
        nproc: worker processes for decoding.

    Returns:
        tuple: number of image/mask pairs found, and the problems (one line
        each: unpaired files, then per-pair problems in file order).
    """
    found = pair_files(img_dir, ann_dir, img_suffix, seg_map_suffix)
    problems = [f'image {img} has no mask {mask}'
                for img, mask in found.images_without_mask]
    problems += [f'mask {mask} has no image {img}'
                 for mask, img in found.masks_without_image]
    jobs = [(img, mask, num_classes, ignore_index, mask_channel)
            for img, mask in found.pairs]
    if nproc > 1 and len(jobs) > 1:
        import multiprocessing

        # spawn, not fork: the parent has torch (and its thread pools) loaded
        with multiprocessing.get_context('spawn').Pool(nproc) as pool:
            results = pool.map(_check_one, jobs, chunksize=8)
    else:
        results = map(_check_one, jobs)
    for pair_problems in results:
        problems += pair_problems
    return len(found.pairs), problems
