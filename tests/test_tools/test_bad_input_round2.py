"""Bad input, second round (issue 15): the eight inputs that broke the
one-line-error promise, each reproduced and held to it (exit code 2, one
``error:`` line with its key words, nothing new in the output folder), plus
the messages that read wrong. On the micro toy DCCD checkpoint; tools run in
this process (``main(argv)``) where no Runner is built.
"""
import logging
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import (MICRO_TOY_CONFIG, REPO, load_tool, run_tool_here, toy_data_options,
                      without_text_path)
from dccd.apis import check_input, init_segmentor, segment_food
from dccd.utils import InputError

INFER = load_tool('infer.py')
TRAIN = load_tool('train.py')
TEST = load_tool('test.py')


@pytest.fixture(autouse=True)
def said(monkeypatch):
    """The warning lines DCCD logs (``print_log``), recorded instead of
    written: the current mmengine logger of an earlier in-process run may
    hold a stream pytest has closed since."""
    lines = []

    def record(msg, logger=None, level=logging.INFO):
        lines.append((logging.getLevelName(level), msg))

    monkeypatch.setattr('dccd.apis.inference.print_log', record)
    monkeypatch.setattr('dccd.utils.weights.print_log', record)
    return lines


def fails_in_one_line(main, argv, capsys, *words) -> str:
    """``main(argv)`` exits 2 with one stderr line holding ``words``; the line."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert info.value.code == 2 and len(lines) == 1, err[-2000:]
    assert lines[0].startswith('error: ') and 'Traceback' not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def entries(folder) -> list:
    return sorted(os.listdir(folder)) if osp.isdir(folder) else []


@pytest.fixture(scope='module')
def photo(tmp_path_factory):
    """A 96x80 'photo' (noise): bigger than the backbone's stride."""
    path = tmp_path_factory.mktemp('photos') / 'plate.png'
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, (80, 96, 3), np.uint8))
    return str(path)


# ---- 1. images smaller than the backbone's stride ------------------------
@pytest.mark.parametrize('size', [(1, 1), (2, 2), (16, 16), (31, 31), (500, 3)])
def test_1_tiny_image_stops_before_any_result(toy_checkpoint, photo, size, tmp_path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    for name in ('a_good.png', 'c_good.png'):
        os.link(photo, folder / name)
    w, h = size
    cv2.imwrite(str(folder / 'b_tiny.png'), np.full((h, w, 3), 128, np.uint8))
    out = tmp_path / 'out'
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], folder, '--out-dir',
                                   out], capsys, 'b_tiny.png', 'too small', f'{w}x{h}')
    assert entries(out) == []  # not even the first photo's results


def test_1_tiny_array_in_the_api(toy_checkpoint):
    model = init_segmentor(MICRO_TOY_CONFIG, toy_checkpoint[1])
    with pytest.raises(InputError, match=r'image array: too small: .* 1x1 px'):
        segment_food(model, np.zeros((1, 1, 3), np.uint8))


# ---- 2. a checkpoint of another config -----------------------------------
@pytest.fixture(scope='module')
def ddp_like_checkpoint(toy_checkpoint, tmp_path_factory):
    """The micro checkpoint without the text path: what a DDP run saves."""
    return without_text_path(toy_checkpoint[1], str(tmp_path_factory.mktemp('ddp_ckpt')))


def test_2_teacher_of_a_checkpoint_without_its_weights(ddp_like_checkpoint, photo, tmp_path,
                                                        capsys, said):
    out = tmp_path / 'out'
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, ddp_like_checkpoint, photo, '--out-dir',
                                   out, '--ingredients', 'rice'], capsys,
                      'has no weights for text_encoder, text_fusion', 'the teacher runs')
    assert entries(out) == []
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, ddp_like_checkpoint, photo, '--out-dir',
                                   out, '--ingredients', 'auto'], capsys, 'text_encoder')
    # the student's weights are all there: it runs, with one warning line
    INFER.main([MICRO_TOY_CONFIG, ddp_like_checkpoint, photo, '--out-dir', str(out)])
    assert entries(out) == ['plate.json', 'plate_mask.png', 'plate_overlay.png']
    assert said[-1] == ('WARNING', f'checkpoint {ddp_like_checkpoint} has no weights for '
                        'text_encoder, text_fusion: a branch that runs them will be refused')


def test_2_test_tool_refuses_the_teacher_too(ddp_like_checkpoint, toy_root, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool_here('test.py', MICRO_TOY_CONFIG, ddp_like_checkpoint, '--work-dir',
                           work_dir, *toy_data_options(toy_root), 'model.test_cfg.branch=teacher')
    assert result.returncode == 2, result.stderr[-2000:]
    # found before the Runner: no config dump, no work dir
    assert result.stderr.strip().splitlines() == [
        f'error: checkpoint {ddp_like_checkpoint} has no weights for text_encoder, text_fusion, '
        "which the teacher runs: it was trained from another config; give this config's "
        'checkpoint, or run the student (no ingredients)']
    assert result.stdout == '' and not work_dir.exists()


# ---- 3. wrong-typed --cfg-options values ---------------------------------
@pytest.mark.parametrize('option, words', [
    ('train_cfg.max_iters=abc', ["max_iters='abc'", 'a whole number']),
    ('train_cfg.max_iters=2.5', ['max_iters=2.5', 'a whole number']),
    ('optim_wrapper.optimizer.lr=fast', ["lr='fast'", 'a number']),
    ('model.test_cfg.steps=abc', ['test_cfg.steps', 'a whole number']),
    ('model.test_cfg.steps=0', ['model.test_cfg.steps must be a whole number >= 1, got 0']),
    ('model.test_cfg.branch=teachr', ["branch must be one of", "'teachr'"]),
])
def test_3_wrong_typed_options_before_any_work_dir(option, words, tmp_path, capsys,
                                                   toy_checkpoint, photo):
    work_dir = tmp_path / 'work'
    fails_in_one_line(TRAIN.main, [MICRO_TOY_CONFIG, '--work-dir', work_dir,
                                   '--cfg-options', option], capsys, *words)
    assert not work_dir.exists()
    if option.startswith('model.'):
        fails_in_one_line(TEST.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], '--work-dir',
                                      work_dir, '--cfg-options', option], capsys, *words)
        fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], photo,
                                       '--out-dir', tmp_path / 'out', '--cfg-options', option],
                          capsys, *words)
        assert not work_dir.exists() and entries(tmp_path / 'out') == []


# ---- 4. --resume with nothing to resume ----------------------------------
def test_4_resume_needs_a_checkpoint(tmp_path, capsys):
    work_dir = tmp_path / 'typo_work_dir'
    fails_in_one_line(TRAIN.main, [MICRO_TOY_CONFIG, '--work-dir', work_dir, '--resume'],
                      capsys, '--resume: nothing to resume in', str(work_dir))
    assert not work_dir.exists()


# ---- 5. files get the umask's permissions --------------------------------
def test_5_written_files_follow_the_umask(toy_checkpoint, photo, tmp_path):
    old = os.umask(0o022)
    try:
        INFER.main([MICRO_TOY_CONFIG, toy_checkpoint[1], photo, '--out-dir',
                    str(tmp_path / 'out')])
    finally:
        os.umask(old)
    modes = {name: os.stat(tmp_path / 'out' / name).st_mode & 0o777
             for name in entries(tmp_path / 'out')}
    assert modes == {'plate.json': 0o644, 'plate_mask.png': 0o644, 'plate_overlay.png': 0o644}
    # the training run's files (written under the test session's umask)
    work_dir = toy_checkpoint[2]
    mask = os.umask(0)
    os.umask(mask)
    for name in ('last_checkpoint', 'iter_6.pth'):
        assert os.stat(osp.join(work_dir, name)).st_mode & 0o777 == 0o666 & ~mask


# ---- 6. an output name taken by a folder ---------------------------------
def test_6_output_name_taken_by_a_folder(toy_checkpoint, photo, tmp_path, capsys):
    out = tmp_path / 'out'
    (out / 'plate_overlay.png').mkdir(parents=True)
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], photo, '--out-dir',
                                   out], capsys, 'plate_overlay.png', 'a folder has that name')
    assert entries(out) == ['plate_overlay.png']


# ---- 7. huge photos and many steps: bounded, and said --------------------
def test_7_huge_photo_is_shrunk_by_the_test_pipeline(toy_checkpoint, tmp_path):
    model = init_segmentor(MICRO_TOY_CONFIG, toy_checkpoint[1])
    huge = np.zeros((4000, 6000, 3), np.uint8)
    result = segment_food(model, huge, steps=1)
    assert result.mask.shape == (4000, 6000)  # back at the photo's size
    # the network saw it shrunk to fit the toy scale (64x43)
    from dccd.apis.inference import _pack
    assert tuple(_pack(model, huge)['inputs'][0].shape[-2:]) == (43, 64)


def test_7_large_input_and_many_steps_warn_in_one_line(toy_checkpoint, said):
    model = init_segmentor(MICRO_TOY_CONFIG, toy_checkpoint[1])
    pipeline = model.cfg.test_dataloader.dataset.pipeline
    model.cfg.test_dataloader.dataset.pipeline = [t for t in pipeline if t['type'] != 'Resize']
    check_input(model, np.zeros((2100, 2100, 3), np.uint8))
    assert len(said) == 1 and said[0][0] == 'WARNING' and '\n' not in said[0][1]
    assert said[0][1].startswith('image array enters the network at 2100x2100 px')
    model.cfg.test_dataloader.dataset.pipeline = pipeline
    check_input(model, np.zeros((2100, 2100, 3), np.uint8))  # shrunk: nothing to say
    segment_food(model, np.zeros((64, 64, 3), np.uint8), steps=101)
    assert len(said) == 2 and said[1][0] == 'WARNING'
    assert said[1][1].startswith('101 DDIM steps: each runs the whole decoder')


# ---- the small messages --------------------------------------------------
def test_empty_checkpoint_says_empty(tmp_path, photo, capsys):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, empty, photo, '--out-dir',
                                   tmp_path / 'out'], capsys, 'is empty (0 bytes)')


def test_config_path_typo_suggests_the_nearest(tmp_path, capsys):
    typo = osp.join(REPO, 'configs', 'toy', 'toy_dcdd.py')
    fails_in_one_line(TRAIN.main, [typo, '--work-dir', tmp_path / 'w'], capsys,
                      'config file not found', 'did you mean', 'toy_dccd.py')


def test_api_takes_class_ids_like_the_ingredients_file(toy_checkpoint, photo):
    model = init_segmentor(MICRO_TOY_CONFIG, toy_checkpoint[1])
    by_name = segment_food(model, photo, ['rice', 'tofu'], steps=1)
    by_id = segment_food(model, photo, [9, 5], steps=1)
    assert by_id.ingredients == by_name.ingredients == ['tofu', 'rice']
    assert np.array_equal(by_id.mask, by_name.mask)


def test_reserved_word_gets_no_food_suggestions(toy_checkpoint, photo, tmp_path, capsys):
    line = fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], photo,
                                          '--out-dir', tmp_path / 'o', '--ingredients',
                                          'auto, rice'], capsys, "'auto'")
    assert 'tofu' not in line and 'mango' not in line


# ---- round 3: what the before/after table of 95 inputs still found -------
@pytest.mark.parametrize('tool, option', [
    ('train', '--work-dir'), ('test', '--work-dir'), ('test', '--out'), ('test', '--show-dir')])
def test_output_folder_below_a_file(tool, option, toy_checkpoint, toy_root, tmp_path, capsys):
    (tmp_path / 'file').write_text('x')
    below = tmp_path / 'file' / 'sub'
    argv = [MICRO_TOY_CONFIG] + ([toy_checkpoint[1]] if tool == 'test' else [])
    argv += ['--work-dir', tmp_path / 'work'] if option != '--work-dir' else []
    argv += [option, below] + toy_data_options(toy_root)
    fails_in_one_line(dict(train=TRAIN, test=TEST)[tool].main, argv, capsys,
                      f'cannot create {option} {below}', f'{tmp_path / "file"} is a file')
    assert entries(tmp_path) == ['file']


def test_usage_mistakes_are_one_line_too(toy_checkpoint, photo, tmp_path, capsys):
    line = fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], photo,
                                          '--out-dir', tmp_path / 'o', '--steps', 'abc'],
                             capsys, '--steps', "invalid int value: 'abc'", '(see --help)')
    assert line.startswith('error: ')
    fails_in_one_line(TEST.main, [MICRO_TOY_CONFIG, toy_checkpoint[1], '--ingredients', 'auto',
                                  '--ingredients-file', tmp_path / 'lists.json'], capsys,
                      'not allowed with argument --ingredients')


def test_a_text_file_is_not_a_checkpoint(tmp_path, photo, capsys):
    text = tmp_path / 'notes.pth'
    text.write_text('these are my notes\n')
    fails_in_one_line(INFER.main, [MICRO_TOY_CONFIG, text, photo, '--out-dir', tmp_path / 'o'],
                      capsys, f'{text} is not a checkpoint: not a file torch.save writes')


def test_many_steps_are_said_once_before_the_progress_bar(toy_checkpoint, photo, tmp_path,
                                                          said):
    folder = tmp_path / 'in'
    folder.mkdir()
    for name in ('a.png', 'b.png'):
        os.link(photo, folder / name)
    INFER.main([MICRO_TOY_CONFIG, toy_checkpoint[1], str(folder), '--out-dir',
                str(tmp_path / 'out'), '--steps', '101'])
    assert [msg for _, msg in said if 'DDIM steps' in msg] == [
        '101 DDIM steps: each runs the whole decoder (DDP uses 3; more than 100 rarely changes '
        'the mask and costs 101x the time)']
    assert len(entries(tmp_path / 'out')) == 6
