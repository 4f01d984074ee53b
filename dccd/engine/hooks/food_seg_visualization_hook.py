"""Write one food overlay per validation/test image (``tools/test.py --show-dir``).

Written for DCCD (Apache-2.0) on mmsegmentation's ``SegVisualizationHook``
(``mmseg/engine/hooks/visualization_hook.py``, Apache-2.0). mmseg's hook draws
every 50th image, the GT and the prediction side by side, into the
visualizer's backends (``vis_data/vis_image/<name>_<step>.png``). This hook
draws the prediction over every image (``interval=1``) with
:class:`~dccd.visualization.FoodSegLocalVisualizer`'s ingredient legend and,
with ``out_dir``, writes ``<out_dir>/<image name>_overlay.<png|jpg>``, the
files ``tools/infer.py`` writes, each written whole (temporary file, rename).
"""
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmengine.runner import Runner
from mmseg.engine.hooks import SegVisualizationHook
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample

from ...utils.atomic_io import write_image_atomic
from ...visualization import FoodSegLocalVisualizer

__all__ = ['FoodSegVisualizationHook', 'overlay_name']


def overlay_name(img_path: str) -> str:
    """``dir/x.jpg`` -> ``x_overlay.jpg``; PNG for any non-JPEG image."""
    stem, ext = osp.splitext(osp.basename(img_path))
    return f"{stem}_overlay{'.jpg' if ext.lower() in ('.jpg', '.jpeg') else '.png'}"


@HOOKS.register_module()
class FoodSegVisualizationHook(SegVisualizationHook):
    """Draw predictions with an ingredient legend; optionally one file each.

    Args:
        draw (bool): Draw at all. Default: False (as mmseg's hook).
        interval (int): Draw every ``interval``-th batch. Default: 1 (all).
        show (bool): Also show each overlay in a window.
        wait_time (float): Seconds each shown overlay stays.
        backend_args (dict, optional): mmengine file backend arguments for
            reading the images.
        out_dir (str, optional): Folder for ``<name>_overlay.<ext>`` files
            (created if missing). None: the overlay goes to the visualizer's
            backends (``add_image``), as mmseg's hook.
        draw_gt (bool): In the backends, put the GT overlay next to the
            prediction (files in ``out_dir`` always hold the prediction
            alone). Default: False.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 1,
                 show: bool = False,
                 wait_time: float = 0.,
                 backend_args: Optional[dict] = None,
                 out_dir: Optional[str] = None,
                 draw_gt: bool = False):
        super().__init__(draw=draw, interval=interval, show=show,
                         wait_time=wait_time, backend_args=backend_args)
        self.out_dir = out_dir
        self.draw_gt = draw_gt
        self._drawer: Optional[FoodSegLocalVisualizer] = None

    def _food_visualizer(self) -> FoodSegLocalVisualizer:
        """The runner's visualizer if it is a food one, else a private one
        that takes the runner visualizer's ``dataset_meta``."""
        if isinstance(self._visualizer, FoodSegLocalVisualizer):
            return self._visualizer
        if self._drawer is None:
            self._drawer = FoodSegLocalVisualizer(name='food_seg_visualization_hook')
        self._drawer.dataset_meta = self._visualizer.dataset_meta
        return self._drawer

    def before_run(self, runner: Runner) -> None:
        if self.draw and self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)

    def _after_iter(self,
                    runner: Runner,
                    batch_idx: int,
                    data_batch: dict,
                    outputs: Sequence[SegDataSample],
                    mode: str = 'val') -> None:
        """Draw each output of a val/test batch (every ``interval`` batches)."""
        if not self.draw or mode == 'train':
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        visualizer = self._food_visualizer()
        for output in outputs:
            img_path = output.img_path
            image = mmcv.imfrombytes(
                fileio.get(img_path, backend_args=self.backend_args), channel_order='rgb')
            name = f'{mode}_{osp.basename(img_path)}'
            if self.out_dir:
                drawn = visualizer.draw_prediction(image, output)
                write_image_atomic(osp.join(self.out_dir, overlay_name(img_path)),
                                   mmcv.rgb2bgr(drawn))
                if self.show:
                    visualizer.show(drawn, win_name=name, wait_time=self.wait_time)
            else:
                visualizer.add_datasample(
                    name, image, data_sample=output, draw_gt=self.draw_gt,
                    show=self.show, wait_time=self.wait_time, step=runner.iter)
