"""tools/analysis_tools/confusion_matrix.py on a hand-made prediction."""
import csv
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import REPO, load_tool

CONFIG = osp.join(REPO, 'tests', 'configs', 'tiny_mmseg.py')  # background, bread, jam
I = 255  # ignored

GT_A = [[0, 0, 1, 1],
        [0, 0, 1, 1],
        [2, 2, 1, 1],
        [2, 2, I, I]]
PRED_A = [[0, 1, 1, 1],
          [0, 0, 1, 1],
          [2, 1, 2, 1],
          [0, 2, 0, 0]]  # the two ignored pixels say background: not counted
GT_B = [[2] * 4] * 4
PRED_B = [[2] * 4] + [[1] * 4] * 3

# rows = GT, columns = prediction, by hand from the four masks above
COUNTS = [[3, 1, 0],    # background: 4 px, one taken for bread
          [0, 5, 1],    # bread: 6 px, one taken for jam
          [1, 13, 6]]   # jam: 4 + 16 px; 1 + 12 as bread, 1 as background
SHARES = [[0.75, 0.25, 0.0],
          [0.0, 5 / 6, 1 / 6],
          [0.05, 0.65, 0.30]]


@pytest.fixture()
def hand_made(tmp_path):
    """A 2-image test set and its predictions: (data root, prediction dir)."""
    root, preds = tmp_path / 'data', tmp_path / 'preds'
    for folder in ('img/test', 'ann/test'):
        (root / folder).mkdir(parents=True)
    preds.mkdir()
    for name, gt, pred in (('a', GT_A, PRED_A), ('b', GT_B, PRED_B)):
        cv2.imwrite(str(root / 'img' / 'test' / f'{name}.png'), np.zeros((4, 4, 3), np.uint8))
        cv2.imwrite(str(root / 'ann' / 'test' / f'{name}.png'), np.array(gt, np.uint8))
        cv2.imwrite(str(preds / f'{name}.png'), np.array(pred, np.uint8))
    return root, preds


def read_csv(path):
    with open(path) as file:
        return list(csv.reader(file))


def test_matrix_and_top_pairs_of_a_hand_made_prediction(hand_made, tmp_path, capsys):
    root, preds = hand_made
    out = tmp_path / 'out'
    load_tool('analysis_tools/confusion_matrix.py').main([CONFIG, str(preds), '--out-dir', str(out), '--top-k', '3',
                      '--cfg-options', f'test_dataloader.dataset.data_root={root}'])
    counts = read_csv(out / 'confusion_matrix_counts.csv')
    assert counts[0] == ['gt \\ pred', 'background', 'bread', 'jam']
    assert [[int(v) for v in row[1:]] for row in counts[1:]] == COUNTS
    shares = read_csv(out / 'confusion_matrix.csv')
    assert [row[0] for row in shares[1:]] == ['background', 'bread', 'jam']
    np.testing.assert_allclose([[float(v) for v in row[1:]] for row in shares[1:]],
                               SHARES, atol=1e-6)
    top = read_csv(out / 'top_confusions.csv')
    assert top == [['gt_class', 'predicted_class', 'share_of_gt_pixels', 'pixels'],
                   ['jam', 'bread', '0.650000', '13'],
                   ['background', 'bread', '0.250000', '1'],
                   ['bread', 'jam', '0.166667', '1']]
    printed = capsys.readouterr().out
    assert '2 images, 30 labelled pixels' in printed
    assert '| jam | bread | 65.00 % | 13 |' in printed
    picture = cv2.imread(str(out / 'confusion_matrix.png'))
    assert picture is not None and min(picture.shape[:2]) >= 300


def test_functions_on_literal_arrays():
    tool = load_tool('analysis_tools/confusion_matrix.py')
    gt, pred = np.array(GT_A), np.array(PRED_A)
    assert tool.confusion_counts(gt, pred, 3).tolist() == [[3, 1, 0], [0, 5, 1], [1, 1, 2]]
    shares = tool.normalise_rows(np.array([[0, 0], [1, 3]]))
    assert np.isnan(shares[0]).all() and shares[1].tolist() == [0.25, 0.75]
    # ties: more pixels first
    assert tool.top_confusions(np.array([[1, 1, 0], [0, 2, 2], [0, 0, 0]]), 5) == [
        (1, 2, 0.5, 2), (0, 1, 0.5, 1)]


def test_missing_or_foreign_predictions_exit_2(hand_made, capsys):
    root, preds = hand_made
    tool = load_tool('analysis_tools/confusion_matrix.py')
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={root}']
    (preds / 'b.png').unlink()
    with pytest.raises(SystemExit) as exit_info:
        tool.main([CONFIG, str(preds), *options])
    assert exit_info.value.code == 2
    assert "lacks the predictions of 1 of 2 test images, e.g. ['b.png']" in \
        capsys.readouterr().err
    cv2.imwrite(str(preds / 'b.png'), np.full((4, 4), 7, np.uint8))
    with pytest.raises(SystemExit):
        tool.main([CONFIG, str(preds), *options])
    assert 'has ids outside 0..2' in capsys.readouterr().err
