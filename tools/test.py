"""Test (and evaluate) a trained model: mIoU, mAcc, aAcc and the per-class table.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR]
        [--show-dir DIR] [--tta] [--amp] [--cfg-options KEY=VALUE ...] [--launcher ...]
        [--ingredients-file FILE.json | --ingredients auto]

``--amp`` runs the test under autocast (bfloat16 where the device has it,
else float16). A checkpoint saved without its frozen CLIP text tower reads it
from the config's ``model.text_encoder.pretrained`` when the teacher is
tested.

Besides mIoU / mAcc / aAcc it prints how well the model knows what is on the
plate (``presence/*``: precision / recall / F1 of the classes its
segmentation finds, and of the proposed lists with ``--ingredients auto``).
"""
import os

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import (describe_evaluation, load_text_tower, text_tower_left_out,
                       use_auto_ingredients, use_ingredients_file, with_presence_metric)
from dccd.apis.preflight import check_run_inputs
from dccd.engine import autocast, setup_cpu_dist, teardown_dist
from dccd.utils import (ArgumentParser, InputError, default_work_dir, exit_on_input_error,
                        load_config)
from dccd.utils.weights import (check_branch_weights, check_state_dict, missing_parts,
                                read_checkpoint)


def parse_args(argv=None):
    parser = ArgumentParser(description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the metrics JSON and logs go')
    parser.add_argument(
        '--out', help='directory to save the predicted masks (PNG) for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='folder for one overlay per test image, '
        '<name>_overlay.<jpg|png>: the prediction over the photo with an '
        'ingredient legend, as tools/infer.py writes')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config; every key must already exist')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    parser.add_argument('--amp', action='store_true',
                        help='autocast: bf16 where supported (A100/H100, CPU), else fp16')
    lists = parser.add_mutually_exclusive_group()
    lists.add_argument(
        '--ingredients-file', metavar='FILE.json',
        help='evaluate the teacher with these ingredient lists (JSON: image file '
        'name -> list of class names or ids) instead of the GT oracle; every '
        'test image needs an entry')
    lists.add_argument(
        '--ingredients', choices=['auto'],
        help="'auto': evaluate the teacher with lists proposed from each image "
        "(model.test_cfg.auto: the student's segmentation or the presence head)")
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, args):
    """Draw every test prediction with DCCD's ingredient legend
    (FoodSegVisualizationHook): shown (--show) and/or written to --show-dir."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise InputError('--show/--show-dir need default_hooks.visualization in the config')
    hook.update(type='FoodSegVisualizationHook', draw=True, interval=1,
                show=bool(args.show), wait_time=args.wait_time,
                out_dir=args.show_dir or None)


@exit_on_input_error
def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    setup_cpu_dist(cfg, args.launcher)  # torchrun without CUDA: gloo
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)

    ckpt = read_checkpoint(args.checkpoint)
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        if 'tta_pipeline' not in cfg or 'tta_model' not in cfg:
            raise InputError(f'--tta: {args.config} defines no tta_pipeline / tta_model')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    lists = 'gt'
    if args.ingredients_file is not None:
        use_ingredients_file(cfg, args.ingredients_file)  # + teacher branch
        lists = args.ingredients_file
    elif args.ingredients == 'auto':
        use_auto_ingredients(cfg)
    cfg.test_evaluator = with_presence_metric(cfg.test_evaluator)

    cfg.load_from = None  # loaded below, after these checks
    # A checkpoint saved under mmengine's EMAHook holds the averaged weights in
    # its state_dict already; the hook would want the averaged copy it builds
    # in before_run, which runs after the checkpoint is loaded here.
    cfg.custom_hooks = [hook for hook in cfg.get('custom_hooks', [])
                        if hook.get('type') != 'EMAHook']
    # before the Runner writes or prints anything: data, outputs, the model
    # (on the meta device) and whether the checkpoint fits the branch it runs
    meta_model = check_run_inputs(cfg, ['test_dataloader'], [
        (cfg.work_dir, '--work-dir'), (args.out, '--out'), (args.show_dir, '--show-dir')],
        pretrained=False)
    segmentor = getattr(meta_model, 'module', meta_model)  # inside a TTA wrapper
    check_state_dict(segmentor, ckpt, args.checkpoint)
    method = None
    if args.ingredients == 'auto':
        method = segmentor.test_cfg.auto['method']
        try:
            segmentor.check_auto(method)
        except ValueError as exc:
            raise InputError(f'--ingredients auto: {exc}') from None
    if hasattr(segmentor, 'parts_for'):
        check_branch_weights(segmentor, missing_parts(segmentor, ckpt), args.checkpoint,
                             segmentor.test_cfg.branch, method)
    tower_from_file = (getattr(segmentor.test_cfg, 'branch', None) == 'teacher'
                       and text_tower_left_out(segmentor, ckpt.get('state_dict', ckpt)))
    if tower_from_file:  # a missing file: said now, before the Runner starts
        load_text_tower(segmentor, args.checkpoint, check_only=True)
    del ckpt, meta_model, segmentor
    runner = Runner.from_cfg(cfg)
    model = getattr(runner.model, 'module', runner.model)
    runner.load_checkpoint(args.checkpoint)
    if tower_from_file:
        load_text_tower(getattr(model, 'module', model), args.checkpoint)
    print_log(f'evaluating: {describe_evaluation(model, lists)}', logger='current')
    device = next(model.parameters()).device
    with autocast(device, enabled=args.amp):
        runner.test()
    teardown_dist()


if __name__ == '__main__':
    main()
