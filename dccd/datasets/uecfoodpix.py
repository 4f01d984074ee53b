"""UEC-FoodPIX Complete: 101 food classes, "others", "beverage" and background.

Dataset: Okamoto and Yanai, "UEC-FoodPIX Complete: A Large-scale Food Image
Segmentation Dataset", ICPR 2021 workshops (MADiMa); non-commercial research
use, see the release's terms. Class names (id = position) follow the
release's category file, trailing spaces removed; this module is written for
DCCD (Apache-2.0).

Release layout (9,000 train / 1,000 test pairs)::

    data/UECFoodPIXCOMPLETE/{train,test}/img/<id>.jpg
    data/UECFoodPIXCOMPLETE/{train,test}/mask/<id>.png   RGB, class id = red

Run once, before training::

    python tools/dataset_converters/uecfoodpix.py data/UECFoodPIXCOMPLETE

It writes ``{train,test}/mask_id/<id>.png`` (one channel, pixel = class id,
width/height fixed where the release swapped them), which
:class:`UECFoodPIXDataset` loads by default. To train on the raw RGB masks
instead, point ``seg_map_path`` at ``{split}/mask`` and add
``dict(type='SegMapFromRedChannel')`` right after ``LoadAnnotations``.
"""
from mmseg.registry import DATASETS

from ..utils.class_names import UECFOODPIX_CLASSES, get_palette
from .checked_seg_dataset import CheckedSegDataset

__all__ = ['UECFoodPIXDataset']

CONVERT_COMMAND = 'python tools/dataset_converters/uecfoodpix.py'


@DATASETS.register_module()
class UECFoodPIXDataset(CheckedSegDataset):
    """UEC-FoodPIX Complete semantic segmentation.

    Label convention: 103 classes, 0 = background, 1..100 = foods,
    101 = others, 102 = beverage; ``reduce_zero_label=False`` (background is
    trained and evaluated); 255 is ignored. By default masks are the
    converter's single-channel ``{split}/mask_id/<id>.png`` (pixel = class id);
    the release's RGB masks carry the id in the red channel (see the module
    docstring). Images are ``.jpg``, masks ``.png`` of the same name:
    mmseg's ``BaseSegDataset`` defaults, so its arguments are taken as they
    are, e.g. ``data_root='data/UECFoodPIXCOMPLETE'`` and ``data_prefix=dict(
    img_path='train/img', seg_map_path='train/mask_id')``.
    """
    METAINFO = dict(classes=UECFOODPIX_CLASSES,
                    palette=get_palette(len(UECFOODPIX_CLASSES)))

    def missing_dir_hint(self, path: str) -> str:
        """Point at the converter when its output folder is missing.

        Args:
            path: the missing folder.
        """
        if path.rstrip('/\\').endswith('mask_id') and self.data_root:
            return (f'; write the single-channel masks first: '
                    f'{CONVERT_COMMAND} {self.data_root}')
        return ''
