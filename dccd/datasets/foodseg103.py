"""FoodSeg103: 103 food classes plus background, 7,118 images.

Dataset: Wu et al., "A Large-Scale Benchmark for Food Image Segmentation",
ACM MM 2021, released under Apache-2.0 by LARC-CMU-SMU/FoodSeg103-Benchmark-v1.
Class names (id = position, :data:`dccd.utils.FOODSEG103_CLASSES`) follow the
release's category_id file; this module is written for DCCD (Apache-2.0).

Layout (the official release, 4,983 train / 2,135 test images)::

    data/FoodSeg103/Images/img_dir/{train,test}/<id>.jpg
    data/FoodSeg103/Images/ann_dir/{train,test}/<id>.png

Check a copy with ``python tools/dataset_converters/foodseg103.py --check
data/FoodSeg103``.
"""
from mmseg.registry import DATASETS

from ..utils.class_names import FOODSEG103_CLASSES, get_palette
from .checked_seg_dataset import CheckedSegDataset

__all__ = ['FoodSeg103Dataset']


@DATASETS.register_module()
class FoodSeg103Dataset(CheckedSegDataset):
    """FoodSeg103 semantic segmentation.

    Label convention: masks are single-channel PNGs whose pixel value is the
    class id, 0 = background, 1..103 = foods (103 = "other ingredients"), so
    there are 104 classes and ``reduce_zero_label=False``: background is a
    class that is trained and evaluated. 255 would be ignored (the release has
    none). Images are ``.jpg``, masks ``.png`` of the same name and size:
    mmseg's ``BaseSegDataset`` defaults, so its arguments are taken as they
    are, e.g. ``data_root='data/FoodSeg103'`` and ``data_prefix=dict(
    img_path='Images/img_dir/train', seg_map_path='Images/ann_dir/train')``.
    """
    METAINFO = dict(classes=FOODSEG103_CLASSES,
                    palette=get_palette(len(FOODSEG103_CLASSES)))
