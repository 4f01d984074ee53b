"""Load an image, refusing empty, truncated or undecodable files.

Written for DCCD (Apache-2.0) on mmcv's ``LoadImageFromFile`` (Apache-2.0).
OpenCV 4 decodes a truncated JPEG "successfully", greying out the missing
rows, so a damaged download trains silently on garbage. This loader first checks the
bytes (:func:`~dccd.datasets.file_checks.verify_image_bytes`: non-empty, JPEG
end-of-image marker, PNG ``IEND`` chunk) and raises
:class:`~dccd.utils.InputError` naming the file; configs use it in place of
``LoadImageFromFile``.
"""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile

from mmseg.registry import TRANSFORMS

from ...utils import InputError
from ..file_checks import verify_image_bytes

__all__ = ['LoadCheckedImageFromFile']


@TRANSFORMS.register_module()
class LoadCheckedImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that raises InputError for a bad image file.

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        Same as mmcv's ``LoadImageFromFile`` (``to_float32``, ``color_type``,
        ``imdecode_backend``, ``ignore_empty``, ``backend_args``). With
        ``ignore_empty=True`` a bad file gives None (the sample is skipped)
        instead of an error.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load, check and decode ``results['img_path']``.

        Args:
            results: the pipeline's result dict.

        Returns:
            dict: ``results`` with the image, or None (``ignore_empty``).
        """
        filename = results['img_path']
        try:
            img = self._load(filename)
        except InputError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _load(self, filename: str) -> np.ndarray:
        try:
            if self.file_client_args is not None:
                client = fileio.FileClient.infer_client(self.file_client_args, filename)
                data = client.get(filename)
            else:
                data = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            raise InputError(f'image not found: {filename}') from None
        except OSError as exc:
            raise InputError(f'cannot read image {filename}: {exc}') from exc
        verify_image_bytes(data, filename)
        try:
            img = mmcv.imfrombytes(data, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as exc:  # Pillow raises, cv2 returns None
            raise InputError(f'cannot decode image {filename}: {exc}') from exc
        if img is None:
            raise InputError(f'cannot decode image: {filename}')
        return img
