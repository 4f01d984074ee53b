"""A BaseSegDataset that checks its files while listing them.

Written for DCCD (Apache-2.0); the base class is mmsegmentation's
``BaseSegDataset`` (Apache-2.0). mmseg's listing silently accepts a missing
folder (an empty dataset) and an image whose mask is missing (a crash deep in
a DataLoader worker). :class:`CheckedSegDataset` lists the same files in the
same order but raises one :class:`~dccd.utils.InputError` line naming the
data root, folder or file instead. DCCD's food datasets derive from it; the
checks run in ``load_data_list``, i.e. at construction unless ``lazy_init``.
"""
from typing import List

import mmengine.fileio as fileio

from mmseg.datasets import BaseSegDataset

from ..utils import InputError
from .file_checks import list_files, pair_files, require_dir

__all__ = ['CheckedSegDataset']


class CheckedSegDataset(BaseSegDataset):
    """``BaseSegDataset`` whose ``load_data_list`` checks folders and pairs.

    Same arguments as mmseg's ``BaseSegDataset``. Raises InputError (one line,
    naming the path) for a missing ``data_root``, image or mask folder or
    ``ann_file``, an image without a mask, a mask without an image, or a
    folder without images. Hidden files (``.*``) are ignored.
    """

    def missing_dir_hint(self, path: str) -> str:
        """Extra advice appended when ``path`` is missing; '' for none.

        Args:
            path: the missing folder.
        """
        return ''

    def _require_dir(self, path: str, what: str) -> None:
        require_dir(path, f'{type(self).__name__}: {what}',
                    self.missing_dir_hint(path), self.backend_args)

    def _data_info(self, img_path: str, seg_map_path=None) -> dict:
        info = dict(img_path=img_path)
        if seg_map_path is not None:
            info['seg_map_path'] = seg_map_path
        info['label_map'] = self.label_map
        info['reduce_zero_label'] = self.reduce_zero_label
        info['seg_fields'] = []
        return info

    def load_data_list(self) -> List[dict]:
        """List image/mask pairs, raising InputError for missing or unpaired files.

        Returns:
            list[dict]: one data info per image, sorted by image path, with
            ``img_path``, ``seg_map_path`` (when there is a mask folder),
            ``label_map``, ``reduce_zero_label`` and ``seg_fields``.
        """
        name = type(self).__name__
        if self.data_root:
            self._require_dir(self.data_root, 'data root')
        img_dir = self.data_prefix.get('img_path', None)
        ann_dir = self.data_prefix.get('seg_map_path', None)
        self._require_dir(img_dir, 'image folder')
        if ann_dir is not None:
            self._require_dir(ann_dir, 'mask folder')

        if self.ann_file:
            if not fileio.isfile(self.ann_file, backend_args=self.backend_args):
                raise InputError(f'{name}: ann_file not found: {self.ann_file}')
            return [self._listed_info(line.strip(), img_dir, ann_dir)
                    for line in fileio.list_from_file(
                        self.ann_file, backend_args=self.backend_args)
                    if line.strip()]

        if ann_dir is None:
            images = list_files(img_dir, self.img_suffix, self.backend_args)
            data_list = [self._data_info(images[k]) for k in sorted(images)]
        else:
            found = pair_files(img_dir, ann_dir, self.img_suffix,
                               self.seg_map_suffix, self.backend_args)
            for lonely, what, partner in (
                    (found.images_without_mask, 'image', 'mask'),
                    (found.masks_without_image, 'mask', 'image')):
                if lonely:
                    path, expected = lonely[0]
                    more = f' (and {len(lonely) - 1} more)' if len(lonely) > 1 else ''
                    raise InputError(f'{name}: {what} {path} has no {partner} '
                                     f'{expected}{more}')
            data_list = [self._data_info(img, mask) for img, mask in found.pairs]
        if not data_list:
            raise InputError(
                f'{name}: no *{self.img_suffix} images in {img_dir}')
        return sorted(data_list, key=lambda info: info['img_path'])

    def _listed_info(self, stem: str, img_dir: str, ann_dir) -> dict:
        join = fileio.join_path
        img = join(img_dir, stem + self.img_suffix, backend_args=self.backend_args)
        if not fileio.isfile(img, backend_args=self.backend_args):
            raise InputError(f'{type(self).__name__}: image {img} listed in '
                             f'{self.ann_file} not found')
        mask = None
        if ann_dir is not None:
            mask = join(ann_dir, stem + self.seg_map_suffix,
                        backend_args=self.backend_args)
            if not fileio.isfile(mask, backend_args=self.backend_args):
                raise InputError(
                    f'{type(self).__name__}: image {img} has no mask {mask}')
        return self._data_info(img, mask)
