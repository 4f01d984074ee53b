"""Drive the demo as a person would, in headless Chromium: time it, take its picture.

    python tools/demo/browser_check.py CONFIG CHECKPOINT PHOTO
        [--size 512x384] [--branch student|teacher|auto] [--ingredients "rice, egg"]
        [--steps 3] [--repeat 3] [--screenshot docs/demo.jpg] [--device cpu]
        [--examples PHOTO ...]

Starts ``tools/demo/gradio_app.py CONFIG CHECKPOINT`` on a free port of
127.0.0.1 (a real server process), opens its page in headless Chromium
(Debian's ``chromium``, driven by Playwright for Python; no browser is
downloaded), uploads PHOTO (first resized to ``--size``, keeping its file
name), picks the branch, list and DDIM steps, clicks *Segment* and waits for
the picture: the overlay and its masks loaded in the page. It prints the
click-to-picture time of each of ``--repeat`` runs (the photo uploaded again
before each, so every run starts from an empty page; the first run
includes the model's warm-up) and their median, and with ``--screenshot``
saves the page after the last run (JPEG or PNG by the extension). The
browser test (``tests/test_tools/test_demo.py``) drives the page with the
same :class:`DemoPage`. Written for DCCD (Apache-2.0).
"""
import os
import os.path as osp
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Dict, List, Optional, Sequence

import cv2

import dccd  # noqa: F401  (registers DCCD modules, applies dccd.compat)
from dccd.apis import check_image_file
from dccd.utils import ArgumentParser, InputError, exit_on_input_error

APP = osp.join(osp.dirname(osp.abspath(__file__)), 'gradio_app.py')
#: Where to look for Chromium, after the ``CHROMIUM`` environment variable.
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')

# Set up before a click: the Status box's progress tracker shows (the run is
# pending) and hides again (its answer arrived). Every class change of a
# tracker in the box is seen (old value included), however fast the run.
_WATCH_RUN = '''() => {
  const box = document.querySelector('#status');
  const run = window.__dccdRun = {shown: false, done: false};
  const isTracker = node => node.nodeType === 1 && node.matches('[data-testid=status-tracker]');
  const shows = classes => !classes.split(' ').includes('hide');
  new MutationObserver((records, observer) => {
    for (const record of records) {
      if (record.type === 'attributes' && isTracker(record.target)) {
        run.shown = run.shown || shows(record.oldValue || 'hide')
          || shows(record.target.className);
      }
      for (const node of record.addedNodes || []) {
        run.shown = run.shown || (isTracker(node) && shows(node.className));
      }
    }
    const tracker = box.querySelector('[data-testid=status-tracker]');
    if (run.shown && tracker && !shows(tracker.className)) {
      run.done = true;
      observer.disconnect();
    }
  }).observe(box, {attributes: true, attributeFilter: ['class'], attributeOldValue: true,
                   childList: true, subtree: true});
}'''
# A new photo's page: no status, no overlay.
_PAGE_CLEARED = '''() => document.querySelector('#status textarea').value === ''
  && !document.querySelector('#overlay img')'''
# After it: an error line, or the overlay's photo and masks loaded.
_RUN_SHOWN = '''() => {
  if (!window.__dccdRun.done) return false;
  const status = document.querySelector('#status textarea').value;
  if (status.startsWith('error:')) return true;
  const images = [...document.querySelectorAll('#overlay img')];
  return status !== '' && images.some(img => img.classList.contains('base-image'))
    && images.every(img => img.complete && img.naturalWidth > 0);
}'''


def find_chromium() -> str:
    """The Chromium binary: ``$CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on the PATH; InputError saying how to install it."""
    path = os.environ.get('CHROMIUM') or next(
        filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not path or not osp.isfile(path):
        raise InputError('no Chromium found (set CHROMIUM, or on Debian: '
                         'apt-get install chromium)')
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _ctrl_c_stops() -> None:
    """In the server's process: Ctrl+C (SIGINT) stops it, also when this one
    runs in the background of a shell, which ignores SIGINT for its jobs."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class DemoServer:
    """``tools/demo/gradio_app.py`` in a process of its own, on 127.0.0.1.

    Args:
        args: the app's arguments (CONFIG CHECKPOINT [options]) but ``--port``.
        env: its environment (default: this process's).
    """

    def __init__(self, args: Sequence[str], env: Optional[Dict[str, str]] = None):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.log = tempfile.TemporaryFile(mode='w+')
        self.process = subprocess.Popen(
            [sys.executable, APP, *map(str, args), '--port', str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, text=True,
            preexec_fn=_ctrl_c_stops)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait(self, timeout: float = 300) -> 'DemoServer':
        """Return once the page answers; RuntimeError (with the app's output)
        if it exits or does not answer within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=5):
                    return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError(f'the demo did not start (exit code {self.process.poll()}):\n'
                           + self.output()[-3000:])

    def stop(self) -> None:
        """Ctrl+C, as a user stops it (its temporary folder is removed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class DemoPage:
    """The demo's page in a Playwright ``Page``: what a person does and sees.

    Args:
        page: a Playwright (sync API) page.
        url: the demo's address.
    """

    def __init__(self, page, url: str):
        self.page = page
        page.goto(url, wait_until='domcontentloaded')
        page.wait_for_selector('#run', timeout=60_000)

    def upload(self, photo: str) -> None:
        """Choose ``photo`` in the Photo box (removing the one there first);
        return once it is uploaded and the old results are gone."""
        clear = self.page.locator('#photo button[aria-label=Clear]')
        if clear.count():
            clear.click()
            clear.wait_for(state='detached')
        self.page.set_input_files('#photo input[type=file]', photo)
        self.page.locator('#photo .filename').wait_for()
        self.page.wait_for_function(_PAGE_CLEARED)

    def click_example(self, label: str) -> None:
        self.page.get_by_text(label).click()

    def settings(self, branch: str = 'student', ingredients: Optional[str] = None,
                 steps: Optional[int] = None) -> None:
        """Pick the branch, type the list, set the DDIM steps."""
        self.page.check(f'#branch input[value="{branch}"]')
        if ingredients is not None:
            self.page.fill('#ingredients textarea', ingredients)
        if steps is not None:
            box = self.page.locator('#steps input[type=number]')
            box.fill(str(steps))
            box.press('Enter')
            self.page.wait_for_function(
                f"() => document.querySelector('#steps input[type=range]').value === '{steps}'")

    def segment(self, timeout: float = 120) -> float:
        """Click *Segment*; wait for the picture (or an error line).

        Returns:
            float: seconds from the click to the overlay loaded in the page.
        """
        self.page.evaluate(_WATCH_RUN)
        start = time.perf_counter()
        self.page.click('#run')
        self.page.wait_for_function(_RUN_SHOWN, polling='raf', timeout=timeout * 1000)
        return time.perf_counter() - start

    def status(self) -> str:
        return self.page.input_value('#status textarea')

    def used_list(self) -> str:
        return self.page.input_value('#used-list textarea')

    def legend(self) -> List[str]:
        """The overlay's legend: class names, in the page's order."""
        return [name.strip() for name in
                self.page.locator('#overlay .legend-item').all_inner_texts()]

    def shares(self) -> List[List[str]]:
        """The shares table's rows, as the page shows them."""
        cells = self.page.locator('#shares [data-testid^=cell-]')
        rows = {}
        for i in range(cells.count()):
            cell = cells.nth(i)
            row, col = int(cell.get_attribute('data-row')), int(cell.get_attribute('data-col'))
            rows.setdefault(row, {})[col] = cell.inner_text().strip()
        return [[row[col] for col in sorted(row)] for _, row in sorted(rows.items())]

    def download_mask(self, folder: str) -> str:
        """Click the mask's download link; returns the saved file."""
        with self.page.expect_download() as download:
            self.page.click('#mask a[download]')
        path = osp.join(folder, download.value.suggested_filename)
        download.value.save_as(path)
        return path

    def branch_choices(self) -> List[str]:
        return self.page.locator('#branch input[type=radio]').evaluate_all(
            'inputs => inputs.map(input => input.value)')


def launch_browser(playwright, chromium: str):
    """Headless Chromium (the binary at ``chromium``, nothing downloaded)."""
    return playwright.chromium.launch(executable_path=chromium, headless=True)


def new_page(browser, width: int = 1200, height: int = 900):
    """A page of ``browser`` that reaches 127.0.0.1 only and accepts downloads."""
    page = browser.new_page(viewport=dict(width=width, height=height), accept_downloads=True)
    page.route(lambda url: not url.startswith('http://127.0.0.1:'), lambda route: route.abort())
    return page


def resized_copy(photo: str, size: Optional[str], folder: str) -> str:
    """``photo`` at ``size`` ('WxH'): itself if so already, else a resized
    copy of the same name in ``folder``."""
    check_image_file(photo)
    if not size:
        return photo
    try:
        width, height = (int(v) for v in size.lower().split('x'))
    except ValueError:
        raise InputError(f"--size {size}: give WIDTHxHEIGHT, e.g. 512x384") from None
    image = cv2.imread(photo)
    if image.shape[:2] == (height, width):
        return photo
    path = osp.join(folder, osp.basename(photo))
    cv2.imwrite(path, cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    return path


def parse_args(argv: Optional[List[str]] = None):
    parser = ArgumentParser(description='Time the demo in headless Chromium and save '
                            'a screenshot of the page')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('photo', help='the photo to segment')
    parser.add_argument('--size', default='512x384',
                        help="resize the photo first, WIDTHxHEIGHT ('' keeps it)")
    parser.add_argument('--branch', default='student', choices=['student', 'teacher', 'auto'])
    parser.add_argument('--ingredients', help='the list, for --branch teacher')
    parser.add_argument('--steps', type=int, default=3, help='DDIM steps (3)')
    parser.add_argument('--repeat', type=int, default=3, help='runs to time (3)')
    parser.add_argument('--screenshot', help='save the page here (.jpg or .png)')
    parser.add_argument('--device', default='cpu', help="the app's --device")
    parser.add_argument('--examples', nargs='+', metavar='PHOTO',
                        help="the app's --examples (default: its toy plates)")
    return parser.parse_args(argv)


def save_screenshot(page, path: str) -> None:
    """The whole page, its fade-ins over, as JPEG (quality 75) or PNG."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')")
    jpeg = osp.splitext(path)[1].lower() in ('.jpg', '.jpeg')
    page.screenshot(path=path, full_page=True, type='jpeg' if jpeg else 'png',
                    quality=75 if jpeg else None)


def time_runs(url: str, chromium: str, photo: str, args) -> dict:
    """Upload, set, click and wait ``args.repeat`` times; the times (s), the
    last run's status and legend; a screenshot when ``args.screenshot``."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, chromium)
        page = new_page(browser)
        demo = DemoPage(page, url)
        times = []
        for _ in range(args.repeat):
            demo.upload(photo)
            demo.settings(args.branch, args.ingredients, args.steps)
            times.append(demo.segment())
            if demo.status().startswith('error:'):
                raise InputError(f'the demo said: {demo.status()}')
        if args.screenshot:
            save_screenshot(page, args.screenshot)
        shown = dict(times=times, status=demo.status(), legend=demo.legend())
        browser.close()
    return shown


@exit_on_input_error
def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    try:
        import playwright  # noqa: F401
    except ImportError:
        raise InputError('needs Playwright for Python: pip install -c constraints.txt '
                         '-e ".[tests]"') from None
    chromium = find_chromium()
    with tempfile.TemporaryDirectory() as folder:
        photo = resized_copy(args.photo, args.size, folder)
        examples = ['--examples', *args.examples] if args.examples else []
        server = DemoServer([args.config, args.checkpoint, '--device', args.device, *examples])
        try:
            shown = time_runs(server.wait().url, chromium, photo, args)
        finally:
            server.stop()
    times = shown['times']
    print(f'{shown["status"]}\nlegend: {", ".join(shown["legend"])}')
    print(f'click to picture ({osp.basename(photo)}, {args.branch}, {args.steps} step(s)): '
          + ', '.join(f'{t:.2f}' for t in times) + f' s; median {statistics.median(times):.2f} s')
    if args.screenshot:
        print(f'screenshot: {args.screenshot} ({osp.getsize(args.screenshot) / 1024:.0f} KB)')


if __name__ == '__main__':
    main()
