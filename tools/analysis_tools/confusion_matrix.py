"""Normalised confusion matrix and the most confused class pairs of a test run.

    python tools/test.py CONFIG CHECKPOINT --out PRED_DIR
    python tools/analysis_tools/confusion_matrix.py CONFIG PRED_DIR
        [--out-dir DIR] [--top-k 10] [--cfg-options KEY=VALUE ...]

Reads the predicted masks that ``tools/test.py --out`` saves (one
``<image stem>.png`` per test image, class ids, ``+1`` when the dataset uses
``reduce_zero_label``, as mmseg's ``IoUMetric`` writes them) and the ground
truth of the config's test set (loaded as ``LoadAnnotations`` loads it, so
``reduce_zero_label`` and a ``label_map`` apply). Pixels whose GT is the
evaluator's ``ignore_index`` (255) are left out.

Writes to ``--out-dir`` (default: PRED_DIR):

- ``confusion_matrix.csv``: row = GT class, column = predicted class, each
  row normalised to sum 1 (the share of that class's pixels predicted as each
  class; the diagonal is the per-class accuracy); rows of classes absent from
  the GT are empty;
- ``confusion_matrix_counts.csv``: the same in pixels;
- ``confusion_matrix.png``: the normalised matrix as a picture;
- ``top_confusions.csv``: the ``--top-k`` largest off-diagonal entries.

The top pairs are also printed as a markdown table: this is where look-alike
ingredients (peach / mango in the toy set) show up.

Written for DCCD (Apache-2.0).
"""
import argparse
import csv
import io
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, TRANSFORMS

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.utils import ArgumentParser, InputError, exit_on_input_error, load_config
from dccd.utils.atomic_io import write_bytes_atomic, write_figure_atomic


def parse_args(argv=None) -> argparse.Namespace:
    parser = ArgumentParser(
        description='Confusion matrix of predicted masks against the test set')
    parser.add_argument('config', help='config file path (its test_dataloader)')
    parser.add_argument('pred_dir', help='predicted masks from tools/test.py --out')
    parser.add_argument('--out-dir', help='where the CSV/PNG files go (default: pred_dir)')
    parser.add_argument('--top-k', type=int, default=10,
                        help='number of most confused pairs to report')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------
def confusion_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int,
                     ignore_index: int = 255) -> np.ndarray:
    """Pixel counts (num_classes, num_classes): [gt class, predicted class].

    Args:
        gt: (H, W) GT ids; ``ignore_index`` pixels are skipped.
        pred: (H, W) predicted ids in ``[0, num_classes)``.
    """
    valid = gt != ignore_index
    flat = gt[valid].astype(np.int64) * num_classes + pred[valid].astype(np.int64)
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def normalise_rows(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum; NaN rows for classes absent from the GT."""
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(totals > 0, counts / totals, np.nan)


def top_confusions(counts: np.ndarray, k: int) -> List[Tuple[int, int, float, int]]:
    """The ``k`` largest off-diagonal shares: (gt id, predicted id, share of
    the GT class's pixels, pixels), largest share first (ties: more pixels,
    then lower ids); pairs with no pixel are left out."""
    shares = normalise_rows(counts)
    pairs = [(i, j, float(shares[i, j]), int(counts[i, j]))
             for i in range(len(counts)) for j in range(len(counts))
             if i != j and counts[i, j] > 0]
    pairs.sort(key=lambda p: (-p[2], -p[3], p[0], p[1]))
    return pairs[:k]


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def build_test_set(cfg):
    """The config's test dataset with an empty pipeline (GT read separately)."""
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg['pipeline'] = []
    try:
        return DATASETS.build(dataset_cfg)
    except InputError:
        raise
    except (FileNotFoundError, OSError) as exc:
        raise InputError(f'cannot build the test set of the config: {exc}') from exc


def read_prediction(path: str, shape: Tuple[int, int], num_classes: int,
                    reduce_zero_label: bool) -> np.ndarray:
    """A predicted mask as class ids, checked against the GT size."""
    pred = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if pred is None:
        raise InputError(f'cannot read the predicted mask {path}')
    if pred.ndim != 2 or pred.shape != tuple(shape):
        raise InputError(f'predicted mask {path} has shape {pred.shape}, the GT '
                         f'{tuple(shape)}')
    pred = pred.astype(np.int64)
    if reduce_zero_label:  # IoUMetric saved id + 1
        pred = pred - 1
    if pred.min() < 0 or pred.max() >= num_classes:
        raise InputError(f'predicted mask {path} has ids outside 0..{num_classes - 1}'
                         ' (not a tools/test.py --out mask of this config?)')
    return pred


def accumulate(cfg, pred_dir: str) -> Tuple[np.ndarray, Sequence[str], int]:
    """Sum the confusion counts over the test set; (counts, classes, images)."""
    dataset = build_test_set(cfg)
    classes = list(dataset.metainfo['classes'])
    num_classes = len(classes)
    ignore_index = cfg.get('test_evaluator', {}).get('ignore_index', 255)
    load = TRANSFORMS.build(dict(type='LoadAnnotations'))
    counts = np.zeros((num_classes, num_classes), np.int64)
    missing = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        path = osp.join(pred_dir, f'{stem}.png')
        if not osp.isfile(path):
            missing.append(f'{stem}.png')
            continue
        gt = load(dict(info))['gt_seg_map']
        pred = read_prediction(path, gt.shape, num_classes,
                               bool(info.get('reduce_zero_label', False)))
        counts += confusion_counts(gt, pred, num_classes, ignore_index)
    if missing:
        raise InputError(f'{pred_dir} lacks the predictions of {len(missing)} of '
                         f'{len(dataset)} test images, e.g. {missing[:3]} (run '
                         'tools/test.py CONFIG CHECKPOINT --out PRED_DIR)')
    return counts, classes, len(dataset)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def _csv_bytes(rows: List[list]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator='\n').writerows(rows)
    return text.getvalue().encode('utf-8')


def write_matrix_csv(path: str, matrix: np.ndarray, classes: Sequence[str],
                     fmt: str) -> None:
    """Rows = GT class, columns = predicted class, first row/column = names."""
    rows = [['gt \\ pred', *classes]]
    for name, row in zip(classes, matrix):
        rows.append([name, *('' if np.isnan(v) else format(v, fmt) for v in row)])
    write_bytes_atomic(path, _csv_bytes(rows))


def plot_matrix(path: str, shares: np.ndarray, classes: Sequence[str]) -> None:
    """The normalised matrix as a PNG (values written in when it is small)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = len(classes)
    size = max(5.0, 0.22 * n + 2.0)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(np.nan_to_num(shares), cmap='Blues', vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), labels=classes, rotation=90, fontsize=7 if n > 30 else 9)
    ax.set_yticks(range(n), labels=classes, fontsize=7 if n > 30 else 9)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('ground-truth class')
    ax.set_title('confusion matrix (rows normalised)')
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if not np.isnan(shares[i, j]) and shares[i, j] > 0:
                    ax.text(j, i, f'{shares[i, j]:.2f}', ha='center', va='center',
                            fontsize=7, color='white' if shares[i, j] > 0.5 else 'black')
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    write_figure_atomic(path, fig)


def markdown_pairs(pairs, classes: Sequence[str]) -> str:
    """The top confused pairs as a markdown table."""
    lines = ['| GT class | predicted as | share of GT pixels | pixels |',
             '|---|---|---:|---:|']
    lines += [f'| {classes[i]} | {classes[j]} | {100 * share:.2f} % | {pixels} |'
              for i, j, share, pixels in pairs]
    return '\n'.join(lines)


@exit_on_input_error
def main(argv=None) -> None:
    args = parse_args(argv)
    if args.top_k < 1:
        raise InputError(f'--top-k must be >= 1, got {args.top_k}')
    if not osp.isdir(args.pred_dir):
        raise InputError(f'prediction folder not found: {args.pred_dir}')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    counts, classes, images = accumulate(cfg, args.pred_dir)
    shares = normalise_rows(counts)
    pairs = top_confusions(counts, args.top_k)
    out_dir = args.out_dir or args.pred_dir
    os.makedirs(out_dir, exist_ok=True)
    write_matrix_csv(osp.join(out_dir, 'confusion_matrix.csv'), shares, classes, '.6f')
    write_matrix_csv(osp.join(out_dir, 'confusion_matrix_counts.csv'), counts, classes, 'd')
    write_bytes_atomic(osp.join(out_dir, 'top_confusions.csv'), _csv_bytes(
        [['gt_class', 'predicted_class', 'share_of_gt_pixels', 'pixels']] +
        [[classes[i], classes[j], f'{share:.6f}', pixels] for i, j, share, pixels in pairs]))
    plot_matrix(osp.join(out_dir, 'confusion_matrix.png'), shares, classes)
    print(f'{images} images, {int(counts.sum())} labelled pixels; '
          f'most confused class pairs:\n{markdown_pairs(pairs, classes)}')
    print(f'wrote confusion_matrix.csv, confusion_matrix_counts.csv, '
          f'top_confusions.csv and confusion_matrix.png to {out_dir}')


if __name__ == '__main__':
    main()
