"""The browser demo (tools/demo/gradio_app.py), used as a person uses it.

The app runs as its own command (``browser_check.DemoServer``: a server
process on a free port of 127.0.0.1) with the micro toy checkpoint trained in
this session, its background row zeroed (``no_background_checkpoint``: the
6-iteration model otherwise says background everywhere), so that its masks
hold several foods. Headless Chromium (Debian's ``chromium``, driven by
Playwright for Python through ``browser_check.DemoPage``) uploads 512x384 toy
plates, types, clicks and reads the page, and what the page shows is held to
what :func:`dccd.apis.segment_food` and ``tools/infer.py`` give for the same
photo and settings: the legend's class names, the shares table, the list the
teacher read, the downloaded mask's bytes, the one-line errors.

Without gradio, Playwright or a Chromium binary these tests are skipped, and
under CI (CI=true) they fail: ``.ci/run`` installs them. The click-to-picture
times and a screenshot go to ``work_dirs/test_demo/``.
"""
import importlib.util
import json
import os
import os.path as osp

import cv2
import pytest

from conftest import (REPO, load_tool, png_claiming, run_tool_here, skip_or_fail, tool_env,
                      without_text_path)
from dccd.apis import init_segmentor, segment_food
from dccd.utils import InputError

APP = load_tool('demo/gradio_app.py')
BROWSER = load_tool('demo/browser_check.py')
DDP_CONFIG = osp.join(REPO, 'tests', 'configs', 'micro_toy_ddp.py')
OUT_DIR = osp.join(REPO, 'work_dirs', 'test_demo')


@pytest.fixture(scope='module')
def chromium():
    """Chromium's path, once gradio, Playwright and Chromium are found."""
    missing = [f'{name} is not installed' for name in ('gradio', 'playwright')
               if importlib.util.find_spec(name) is None]
    try:
        path = BROWSER.find_chromium()
    except InputError as exc:
        path = None
        missing.append(str(exc))
    if missing:
        skip_or_fail('the browser test cannot run: ' + '; '.join(missing))
    return path


@pytest.fixture(scope='module')
def plates(tmp_path_factory):
    """Two 512x384 toy plates, drawn as the app draws its examples."""
    folder = str(tmp_path_factory.mktemp('plates'))
    return [path for path, _ in APP.make_example_plates(folder, count=2)]


@pytest.fixture(scope='module')
def ddp_checkpoint(no_background_checkpoint, tmp_path_factory):
    """The same weights without the text path: what a DDP run saves."""
    return without_text_path(no_background_checkpoint[1],
                             str(tmp_path_factory.mktemp('ddp_demo')))


@pytest.fixture(scope='module')
def servers(chromium, no_background_checkpoint, ddp_checkpoint, tmp_path_factory):
    """The DCCD and the DDP app, started together, each a process of its own
    (Gradio's uploads and outputs in a temporary folder of this session)."""
    env = tool_env(GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp('gradio')))
    started = dict(dccd=BROWSER.DemoServer(no_background_checkpoint, env=env),
                   ddp=BROWSER.DemoServer([DDP_CONFIG, ddp_checkpoint], env=env))
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope='module')
def browser(chromium):
    from playwright.sync_api import sync_playwright
    playwright = sync_playwright().start()
    browser = BROWSER.launch_browser(playwright, chromium)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope='module')
def dccd_page(servers, browser):
    return BROWSER.DemoPage(BROWSER.new_page(browser), servers['dccd'].wait().url)


@pytest.fixture(scope='module')
def model(no_background_checkpoint):
    """The app's model, in this process, for segment_food."""
    return init_segmentor(*no_background_checkpoint)


def infer_error(checkpoint, photo, out_dir, *options) -> str:
    """``tools/infer.py``'s error line for ``photo``."""
    result = run_tool_here('infer.py', *checkpoint, photo, '--out-dir', out_dir, *options)
    assert result.returncode == 2, result.stderr[-2000:]
    return result.stderr.strip().splitlines()[-1]


def shown_shares(page) -> list:
    return [(name, float(percent)) for name, percent in page.shares()]


def expected_shares(result) -> list:
    return [(share.name, round(share.percent_of_food, 1)) for share in result.shares]


def test_a_misspelt_ingredient_then_the_teacher(dccd_page, model, plates,
                                                no_background_checkpoint, tmp_path):
    page, photo = dccd_page, plates[0]
    page.upload(photo)
    page.settings('teacher', 'rice, brocoli', steps=1)
    page.segment()
    line = infer_error(no_background_checkpoint, photo, tmp_path / 'bad',
                       '--ingredients', 'rice, brocoli', '--steps', '1')
    assert line == "error: --ingredients: unknown ingredient 'brocoli' (closest: broccoli)"
    assert page.status() == line.replace('--ingredients', 'ingredients')
    assert page.legend() == [] and page.used_list() == ''

    page.settings('teacher', 'rice, broccoli', steps=1)
    page.segment()
    expected = segment_food(model, photo, ['rice', 'broccoli'], steps=1)
    assert page.status() == APP.describe(expected, photo)
    assert page.legend() == [share.name for share in expected.shares] != []
    assert shown_shares(page) == expected_shares(expected)
    assert page.used_list() == 'used: broccoli, rice'
    mask = page.download_mask(str(tmp_path))
    out = tmp_path / 'infer'
    result = run_tool_here('infer.py', *no_background_checkpoint, photo, '--out-dir', out,
                           '--ingredients', 'rice, broccoli', '--steps', '1')
    assert result.returncode == 0, result.stderr[-2000:]
    assert osp.basename(mask) == 'toy_plate_1_mask.png'
    with open(mask, 'rb') as shown, open(out / 'toy_plate_1_mask.png', 'rb') as written:
        assert shown.read() == written.read()


def test_the_student_on_a_512x384_photo_timed(dccd_page, model, plates):
    """Click to picture, twice (the photo uploaded again before each)."""
    page, photo = dccd_page, plates[1]
    assert cv2.imread(photo).shape == (384, 512, 3)
    times = []
    for _ in range(2):
        page.upload(photo)
        page.settings('student', steps=3)
        times.append(page.segment())
    expected = segment_food(model, photo, steps=3)
    assert len(expected.shares) >= 2
    assert page.legend() == [share.name for share in expected.shares]
    assert shown_shares(page) == expected_shares(expected)
    assert page.used_list() == 'none: the student reads no list'
    os.makedirs(OUT_DIR, exist_ok=True)
    BROWSER.save_screenshot(page.page, osp.join(OUT_DIR, 'student.png'))
    with open(osp.join(OUT_DIR, 'latency.json'), 'w') as f:
        json.dump(dict(photo='512x384 toy plate', branch='student', steps=3,
                       click_to_picture_s=times), f, indent=2)
    print(f'click to picture, toy model, 512x384, student, 3 steps: '
          f'{", ".join(f"{t:.2f}" for t in times)} s')
    assert all(t > 0 for t in times)


def test_auto_shows_the_proposed_list(dccd_page, model, plates):
    page, photo = dccd_page, plates[0]
    page.upload(photo)
    page.settings('auto', steps=3)
    page.segment()
    expected = segment_food(model, photo, 'auto', steps=3)
    assert expected.ingredient_source.startswith('auto:')
    assert page.used_list() == APP.list_text(expected)
    assert page.used_list().startswith(f'proposed ({expected.ingredient_source}): ')
    assert all(name in page.used_list() for name in expected.ingredients)
    assert page.legend() == [share.name for share in expected.shares]


def test_bad_files_get_the_lines_of_infer(dccd_page, plates, no_background_checkpoint,
                                          tmp_path):
    jpeg = cv2.imencode('.jpg', cv2.imread(plates[0]))[1].tobytes()
    files = {'notes.jpg': (b'not a photo\n', 'cannot decode image: notes.jpg'),
             'cut.jpg': (jpeg[:len(jpeg) // 2], 'truncated JPEG'),
             'huge.png': (png_claiming(20000, 20000), 'image too large: huge.png has more')}
    page = dccd_page
    for name, (data, said) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        line = infer_error(no_background_checkpoint, path, tmp_path / 'out')
        assert said in line.replace(str(path), name)
        page.upload(str(path))
        page.settings('student')
        page.segment()
        assert page.status() == line.replace(str(path), name)
        assert page.legend() == []


def test_a_ddp_model_offers_the_student_only_and_says_why(servers, browser, ddp_checkpoint,
                                                           plates):
    page = BROWSER.DemoPage(BROWSER.new_page(browser), servers['ddp'].wait().url)
    assert page.branch_choices() == ['student']
    assert page.page.inner_text('#branch-note').strip() == APP.NO_TEXT_ENCODER
    assert not page.page.locator('#ingredients textarea').is_visible()
    page.upload(plates[1])
    page.segment()
    expected = segment_food(init_segmentor(DDP_CONFIG, ddp_checkpoint), plates[1])
    assert page.legend() == [share.name for share in expected.shares] != []
    page.page.close()


def test_the_command_says_one_line(chromium, no_background_checkpoint, tmp_path):
    missing = str(tmp_path / 'missing.pth')
    result = run_tool_here('demo/gradio_app.py', no_background_checkpoint[0], missing)
    assert (result.returncode, result.stderr) == (2, f'error: checkpoint not found: {missing}\n')
    result = run_tool_here('demo/gradio_app.py', *no_background_checkpoint,
                           '--examples', str(tmp_path / 'no.jpg'))
    assert result.returncode == 2
    assert result.stderr == f'error: cannot read image {tmp_path / "no.jpg"}: ' \
        'No such file or directory\n'
