"""The ingredient list of a sample, read from its full ground-truth mask.

Written for DCCD (Apache-2.0), after the ingredient prompts of Hou et al. 2024
("Ingredient-guided multimodal self-distillation for food image segmentation"):
the teacher branch is told which classes the image contains. Place
:class:`ExtractIngredients` right after ``LoadAnnotations`` and before any crop
or resize, in train and test pipelines, and pack its key with
``dict(type='PackFoodSegInputs')`` so that every ``SegDataSample`` has
``metainfo['ingredients']``::

    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ExtractIngredients', num_classes=104),
    ...  # RandomResize, RandomCrop, RandomFlip, ...
    dict(type='PackFoodSegInputs')

It also validates the full mask, once per load: an id outside the classes or a
mask whose size differs from the image raises :class:`~dccd.utils.InputError`
naming the file(s). A second instance after the crop,
``ExtractIngredients(num_classes, after_crop=True, key='crop_ingredients')``,
records the classes left in the cropped mask under a key of its own (the
targets of the ingredient-presence head); with the default key it overwrites
``ingredients`` (the "after crop" ablation).
"""
from typing import Optional

from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS

from ...utils import InputError, ingredient_ids, present_ids
from ..file_checks import bad_ids, size_mismatch

__all__ = ['ExtractIngredients']


@TRANSFORMS.register_module()
class ExtractIngredients(BaseTransform):
    """Record the sorted class ids present in the mask as ``ingredients``.

    Background (``background_index``) and ``ignore_index`` are excluded; the
    ids are those after ``LoadAnnotations`` (i.e. after ``reduce_zero_label``
    and a custom-class ``label_map``).

    Required Keys:

    - gt_seg_map (np.uint8, (H, W))
    - seg_map_path (for messages)
    - img_path, ori_shape (optional: the size check, when an image is loaded)

    Added Keys:

    - ingredients (list[int]), or ``key``: ascending class ids.

    Args:
        num_classes: number of classes, background included; ids
            ``>= num_classes`` other than ``ignore_index`` raise InputError.
        ignore_index: the unlabelled value, not an ingredient. Defaults to 255.
        background_index: the background id, not an ingredient; None if every
            class is a food (e.g. ``reduce_zero_label=True``). Defaults to 0.
        after_crop: False (default) for the first instance, on the full mask:
            it also checks that the mask is as large as the image
            (``ori_shape``). True for an instance after a crop, which records
            the classes left in the crop and skips the size check.
        key: where the ids go. Defaults to 'ingredients' (what the teacher
            reads); 'crop_ingredients' for the presence head's targets.
    """

    def __init__(self, num_classes: int, ignore_index: int = 255,
                 background_index: Optional[int] = 0,
                 after_crop: bool = False, key: str = 'ingredients') -> None:
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.background_index = background_index
        self.after_crop = after_crop
        self.key = key

    def transform(self, results: dict) -> dict:
        """Add ``results['ingredients']``.

        Args:
            results: the pipeline's result dict.

        Returns:
            dict: ``results`` with ``ingredients``.
        """
        if 'gt_seg_map' not in results:
            raise InputError('ExtractIngredients needs the mask (gt_seg_map): '
                             'place it right after LoadAnnotations')
        seg_map = results['gt_seg_map']
        mask_path = results.get('seg_map_path', '<mask>')
        if seg_map.ndim != 2:
            raise InputError(
                f'mask {mask_path} has shape {seg_map.shape}, expected one channel '
                '(for RGB masks add SegMapFromRedChannel after LoadAnnotations)')
        ori_shape = results.get('ori_shape', None)
        if (not self.after_crop and ori_shape is not None
                and tuple(ori_shape[:2]) != seg_map.shape):
            raise InputError(size_mismatch(results.get('img_path', '<image>'),
                                           ori_shape[:2], mask_path, seg_map.shape))
        ids = present_ids(seg_map)
        bad = [i for i in ids if i >= self.num_classes and i != self.ignore_index]
        if bad:
            raise InputError(
                bad_ids(mask_path, bad, self.num_classes, self.ignore_index))
        results[self.key] = ingredient_ids(ids, self.ignore_index, self.background_index)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, '
                f'background_index={self.background_index}, '
                f'after_crop={self.after_crop}, key={self.key!r})')
