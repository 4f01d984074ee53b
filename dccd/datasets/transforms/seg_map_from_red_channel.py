"""Take the class ids of an RGB mask from its red channel (UEC-FoodPIX raw masks).

Written for DCCD (Apache-2.0). UEC-FoodPIX Complete stores masks as RGB PNGs
whose red channel is the class id. The converter
(``tools/dataset_converters/uecfoodpix.py``) writes single-channel masks once;
this transform lets a pipeline read the raw masks instead.
"""
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS

from ...utils import InputError

__all__ = ['SegMapFromRedChannel']


@TRANSFORMS.register_module()
class SegMapFromRedChannel(BaseTransform):
    """Replace a (H, W, 3) BGR ``gt_seg_map`` by its red channel.

    Place right after ``LoadAnnotations``, which gives colour masks in BGR
    order (with either decoding backend), so red is channel 2. A mask that
    already has one channel is left as it is.

    Required Keys:

    - gt_seg_map (np.uint8, (H, W, 3) BGR or (H, W))
    - seg_map_path (for messages)

    Modified Keys:

    - gt_seg_map (np.uint8, (H, W))
    """

    def transform(self, results: dict) -> dict:
        """Keep the red channel of ``results['gt_seg_map']``.

        Args:
            results: the pipeline's result dict.

        Returns:
            dict: ``results`` with a (H, W) ``gt_seg_map``.
        """
        seg_map = results['gt_seg_map']
        if seg_map.ndim == 3:
            if seg_map.shape[2] not in (3, 4):
                raise InputError(f"mask {results.get('seg_map_path', '<mask>')} has "
                                 f'shape {seg_map.shape}, expected RGB(A)')
            results['gt_seg_map'] = seg_map[..., 2].copy()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
