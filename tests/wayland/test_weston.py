#!/usr/bin/env python3
"""udefio as the client of a real weston: the headless backend with the pixman
renderer (so weston-screenshooter can read the output back), on a socket of
its own in an XDG_RUNTIME_DIR of its own, stopped (its whole process group)
after each use even when a check fails. Runs as root, as CI does.

What weston 10 (bookworm) allows here, and so what is checked:
- desktop-shell honours xdg_toplevel.set_fullscreen: --fullscreen gives a
  window of the output's size, presented frame after frame, and the pixels
  weston shows are exactly udefio's own final frame;
- a normal window is configured 0x0 (the size is ours) and gets --size;
- kiosk-shell makes every toplevel fullscreen, but weston 10's kiosk-shell
  shows windows only to a seat and the headless backend has none: the window
  is never shown, no frame callback comes, and udefio must neither block nor
  lose its way (flushes are deferred, the demo ends on time);
- killing weston ends the demo with one clear error line and exit code 1.
- A resize cannot be had: the headless output never changes size and nothing
  asks the shell to resize a window without a seat.
- --transform: a kiosk program's still picture (still_picture.py) in a
  fullscreen window turned by wl_surface.set_buffer_transform shows on
  weston's output exactly as udefio's headless output shows it for the same
  transform, and as the table below predicts.
"""
import atexit
import glob
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_pixels import read_rgb  # noqa: E402
import still_picture  # noqa: E402

UDEFIO = sys.argv.pop(1)
WIDTH, HEIGHT = 640, 480
SKIP = 77  # meson's exit code for a skipped test
RUNNING = set()  # westons to stop at exit, and when meson's timeout sends SIGTERM


def stop_all():
    for weston in list(RUNNING):
        weston.stop()


def on_sigterm(*_):
    # unittest would take SystemExit for one test's error and go on: stop everything, leave now.
    stop_all()
    os._exit(1)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, on_sigterm)


class Weston:
    """One weston; stop() kills its process group and removes its runtime dir."""

    def __init__(self, shell):
        self.runtime = tempfile.mkdtemp(prefix="udefio-weston-")  # mode 0700, as weston wants
        self.socket = f"udefio-test-{os.getpid()}-{shell.split('-')[0]}"
        self.log = open(os.path.join(self.runtime, "weston.log"), "w+")
        cmd = ["weston", "--backend=headless-backend.so", "--use-pixman", f"--width={WIDTH}", f"--height={HEIGHT}",
               f"--shell={shell}", f"--socket={self.socket}", "--no-config",
               "--idle-time=0",  # else the output blanks after 300 s and frame callbacks stop
               "--debug"]        # weston_screenshooter is offered only with it
        # A session of its own: stop() kills weston and the clients it spawned, never the test.
        self.proc = subprocess.Popen(cmd, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        RUNNING.add(self)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def env(self, **extra):
        env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime, WAYLAND_DISPLAY=self.socket)
        env.update(extra)
        return env

    def log_text(self):
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self, timeout=30):
        """The socket exists and accepts, then a client's registry roundtrip is answered."""
        path = os.path.join(self.runtime, self.socket)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weston exited with {self.proc.returncode}:\n{self.log_text()}")
            if os.path.exists(path):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    try:
                        s.connect(path)
                    except OSError:
                        pass
                    else:
                        info = subprocess.run([UDEFIO, "info"], env=self.env(), capture_output=True, text=True,
                                              timeout=30)
                        if re.search(r"^\s*wayland\s+yes", info.stdout, re.M):
                            return
            time.sleep(0.05)
        raise RuntimeError(f"weston did not get ready in {timeout} s:\n{self.log_text()}")

    def screenshot(self, directory):
        """weston-screenshooter writes wayland-screenshot-<time>.png into its working directory."""
        subprocess.run(["weston-screenshooter"], env=self.env(), cwd=directory, check=True, timeout=30,
                       capture_output=True)
        shots = glob.glob(os.path.join(directory, "wayland-screenshot-*.png"))
        if len(shots) != 1:
            raise RuntimeError(f"weston-screenshooter wrote {shots}")
        return shots[0]

    def stop(self):
        RUNNING.discard(self)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # what weston spawned and left behind, if anything
        except ProcessLookupError:
            pass
        self.log.close()
        shutil.rmtree(self.runtime, ignore_errors=True)


class Demo:
    """`udefio demo` (or another command) in the background, its stderr in a file to wait on."""

    def __init__(self, weston, *args, command="demo", backend="wayland"):
        self.dir = tempfile.mkdtemp(prefix="udefio-demo-")
        self.frames = os.path.join(self.dir, "frames")  # frame-final.png: what udefio last committed
        self.err = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen([UDEFIO, command, "--backend", backend, "--png-dir", self.frames, *args],
                                     env=weston.env(), stdout=subprocess.PIPE, stderr=self.err, text=True)

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def wait_for(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.stderr():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no '{needle}' from udefio:\n{self.stderr()}")

    def finish(self, timeout=30):
        """(exit code, stdout, stderr); kills it if it hangs."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(f"udefio did not exit in {timeout} s:\n{self.stderr()}")
        return self.proc.returncode, out, self.stderr()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()  # finish() did not read it: it failed before
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# Where panel pixel (x, y) of a w x h panel is in the upright (logical) frame
# for each --transform (wl_output_transform), as wlroots' wlr_box_transform
# puts it: the table of tests/integration/test_session_output.cpp, written out
# rather than taken from udefio.
PANEL_TO_LOGICAL = {
    "normal": lambda x, y, w, h: (x, y),
    "90": lambda x, y, w, h: (h - 1 - y, x),
    "180": lambda x, y, w, h: (w - 1 - x, h - 1 - y),
    "270": lambda x, y, w, h: (y, w - 1 - x),
    "flipped": lambda x, y, w, h: (w - 1 - x, y),
    "flipped-90": lambda x, y, w, h: (y, x),
    "flipped-180": lambda x, y, w, h: (x, h - 1 - y),
    "flipped-270": lambda x, y, w, h: (h - 1 - y, w - 1 - x),
}


def turned_picture(transform, width, height):
    """The rows (RGB bytes) of a width x height panel showing still_picture's frame turned by `transform`."""
    where = PANEL_TO_LOGICAL[transform]
    return [b"".join(bytes(still_picture.pixel(*where(x, y, width, height))) for x in range(width))
            for y in range(height)]


def differences(want, got):
    """'' when the pictures (rows of RGB bytes) are equal, else what differs."""
    if len(want) != len(got) or any(len(a) != len(b) for a, b in zip(want, got)):
        return f"sizes differ: {len(want[0]) // 3}x{len(want)} wanted, {len(got[0]) // 3 if got else 0}x{len(got)} got"
    rows = [y for y, (a, b) in enumerate(zip(want, got)) if a != b]
    if not rows:
        return ""
    y = rows[0]
    x = next(i // 3 for i in range(len(want[y])) if want[y][i] != got[y][i])
    return (f"{len(rows)} of {len(want)} rows differ; first at ({x}, {y}): wanted RGB {tuple(want[y][3 * x:3 * x + 3])},"
            f" got {tuple(got[y][3 * x:3 * x + 3])}")


def presented(stdout):
    m = re.search(r"demo: (\d+) flushes, (\d+) presented", stdout)
    if not m:
        raise AssertionError(f"no demo summary in {stdout!r}")
    return int(m.group(2))


class DesktopShell(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.weston = Weston("desktop-shell.so")

    @classmethod
    def tearDownClass(cls):
        cls.weston.stop()

    def demo(self, *args):
        demo = Demo(self.weston, *args)
        self.addCleanup(demo.close)
        return demo

    def test_info_shows_the_compositor(self):
        r = subprocess.run([UDEFIO, "info"], env=self.weston.env(), capture_output=True, text=True, timeout=30)
        self.assertRegex(r.stdout, rf"wayland\s+yes\s+a window on compositor {self.weston.socket} .*wp_presentation yes")

    def test_fullscreen_shows_our_pixels(self):
        # A long delay keeps the first flush on screen for seconds: time for the screenshot.
        demo = self.demo("--fullscreen", "--seconds", "0", "--delay", "4000")
        demo.wait_for("first frame presented")
        shot = self.weston.screenshot(demo.dir)
        demo.proc.send_signal(signal.SIGTERM)
        rc, out, err = demo.finish()
        self.assertEqual(rc, 0, err)
        self.assertIn(f"demo on wayland output window@{self.weston.socket} ({WIDTH}x{HEIGHT} ", err)
        self.assertGreaterEqual(presented(out), 1, out)
        self.assertRegex(err, r"\d+ commits, \d+ frame callbacks, [1-9]\d* presented")
        w, h, ours = read_rgb(os.path.join(demo.frames, "frame-final.png"))
        sw, sh, theirs = read_rgb(shot)
        self.assertEqual((w, h), (WIDTH, HEIGHT))
        self.assertEqual((sw, sh), (WIDTH, HEIGHT))
        differing = sum(1 for a, b in zip(ours, theirs) if a != b)
        self.assertEqual(differing, 0, f"{differing} of {h} rows differ between udefio's frame and weston's output")
        self.assertGreater(len(set(ours[HEIGHT // 2])), 1, "the frame is one flat colour: the demo drew nothing?")

    def test_frames_keep_coming(self):
        demo = self.demo("--fullscreen", "--seconds", "2")
        rc, out, err = demo.finish()
        self.assertEqual(rc, 0, err)
        # Weston's headless output repaints at 60 Hz; frame-callback pacing gets a frame every one or two.
        self.assertGreater(presented(out), 30, out + err)
        self.assertIn("wp_presentation feedback", err)

    def test_profile_gets_presentation_times(self):
        """Profiling on Wayland: each frame's commit and its wp_presentation
        time reach the per-frame table, in order."""
        demo = self.demo("--fullscreen", "--seconds", "2", "--profile", os.path.join(self.weston.runtime, "prof"))
        rc, out, err = demo.finish()
        self.assertEqual(rc, 0, err)
        self.assertIn("write -> present", out)
        with open(os.path.join(self.weston.runtime, "prof", "frames.csv")) as f:
            rows = list(csv.DictReader(f))
        shown = [r for r in rows if int(r["presented_ns"])]
        self.assertGreater(len(shown), len(rows) * 0.8, out)
        for r in shown:
            self.assertGreater(int(r["committed_ns"]), 0, r)
            self.assertGreaterEqual(int(r["presented_ns"]), int(r["committed_ns"]), r)

    def kiosk_still_picture(self, backend, *args):
        """still_picture.py as the kiosk's program on `backend`, its whole frame in the first flush: a
        flush comes a second after the first store was seen, and the program's one copy is done by then."""
        kiosk = Demo(self.weston, "--no-fbdev", "--restart", "never", "--delay", "1000", "--socket",
                     os.path.join(tempfile.gettempdir(), f"udefio-weston-kiosk-{os.getpid()}-{backend}"), *args, "--",
                     sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "still_picture.py"),
                     command="kiosk", backend=backend)
        self.addCleanup(kiosk.close)
        return kiosk

    def screenshot_showing(self, directory, want, timeout=30):
        """Screenshots until one shows `want` (rows of RGB bytes) or `timeout` s went by; the last one's
        (width, height, rows). The first normally does: the kiosk waits for the whole picture."""
        deadline = time.monotonic() + timeout
        for n in range(1000):
            shot_dir = os.path.join(directory, f"shot-{n}")
            os.mkdir(shot_dir)
            shot = read_rgb(self.weston.screenshot(shot_dir))
            if shot[2] == want or time.monotonic() > deadline:
                return shot
        return shot

    def check_transform(self, transform):
        """--transform on the wayland window: weston shows what the headless output shows for the same
        transform and program, which is the program's upright frame turned by the table above."""
        want = turned_picture(transform, WIDTH, HEIGHT)

        headless = self.kiosk_still_picture("headless", "--size", f"{WIDTH}x{HEIGHT}", "--transform", transform)
        headless.wait_for("first frame presented")
        headless.proc.send_signal(signal.SIGTERM)
        rc, _, err = headless.finish()
        self.assertEqual(rc, 0, err)
        hw, hh, reference = read_rgb(os.path.join(headless.frames, "frame-final.png"))
        self.assertEqual((hw, hh), (WIDTH, HEIGHT))
        self.assertEqual(differences(want, reference), "", f"headless --transform {transform} against the table")

        # The window's name works as for other outputs' (window@SOCKET:VALUE).
        kiosk = self.kiosk_still_picture("wayland", "--fullscreen", "--transform",
                                         f"window@{self.weston.socket}:{transform}")
        kiosk.wait_for("first frame presented")
        sw, sh, theirs = self.screenshot_showing(kiosk.dir, reference)
        kiosk.proc.send_signal(signal.SIGTERM)
        rc, _, err = kiosk.finish()
        self.assertEqual(rc, 0, err)
        upright = (HEIGHT, WIDTH) if transform.endswith(("90", "270")) else (WIDTH, HEIGHT)
        self.assertIn(f"on wayland output window@{self.weston.socket} ({upright[0]}x{upright[1]} ", err)
        self.assertEqual((sw, sh), (WIDTH, HEIGHT))
        self.assertEqual(differences(reference, theirs), "",
                         f"weston's output against the headless output, --transform {transform}")
        # udefio's own PNG of the window is the panel too.
        self.assertEqual(differences(reference, read_rgb(os.path.join(kiosk.frames, "frame-final.png"))[2]), "")

    def test_transform_90(self):
        self.check_transform("90")

    def test_transform_270(self):
        self.check_transform("270")

    def test_transform_flipped_90(self):
        self.check_transform("flipped-90")

    def test_transform_flipped(self):
        self.check_transform("flipped")

    def test_normal_window_takes_our_size(self):
        demo = self.demo("--size", "320x200", "--seconds", "1")
        rc, out, err = demo.finish()
        self.assertEqual(rc, 0, err)
        self.assertIn(f"demo on wayland output window@{self.weston.socket} (320x200 ", err)
        self.assertGreater(presented(out), 0, out + err)
        self.assertEqual(read_rgb(os.path.join(demo.frames, "frame-final.png"))[:2], (320, 200))

    def test_auto_takes_wayland_without_a_display(self):
        if glob.glob("/dev/dri/card*"):
            self.skipTest("a DRM card is here: auto takes kms first")
        r = subprocess.run([UDEFIO, "demo", "--seconds", "1"], env=self.weston.env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("demo on wayland output", r.stderr)

    def test_no_compositor_is_one_clear_line(self):
        env = self.weston.env(WAYLAND_DISPLAY="udefio-test-nobody-here")
        r = subprocess.run([UDEFIO, "demo", "--backend", "wayland", "--seconds", "1"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("cannot connect to the compositor's socket udefio-test-nobody-here", r.stderr)
        # auto goes on to headless.
        r = subprocess.run([UDEFIO, "demo", "--seconds", "1"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        if not glob.glob("/dev/dri/card*"):
            self.assertIn("demo on headless output", r.stderr)


class KioskShell(unittest.TestCase):
    def test_fullscreen_even_unasked_and_never_shown(self):
        weston = Weston("kiosk-shell.so")
        self.addCleanup(weston.stop)
        demo = Demo(weston, "--size", "320x200", "--seconds", "2")
        self.addCleanup(demo.close)
        started = time.monotonic()
        rc, out, err = demo.finish()
        self.assertEqual(rc, 0, err)
        self.assertLess(time.monotonic() - started, 20, "the demo overran its 2 s")
        self.assertIn(f"({WIDTH}x{HEIGHT} ", err)  # kiosk-shell sized it to the output
        counters = re.search(r"(\d+) commits, (\d+) frame callbacks, (\d+) presented, \d+ discarded, (\d+) deferred",
                             err)
        self.assertTrue(counters, err)
        if presented(out) == 0:
            # weston 10: no seat, so the window is never mapped: one commit waits for a frame callback
            # that never comes, and every later flush is deferred instead of blocking.
            self.assertLessEqual(int(counters.group(1)), 1, err)
            self.assertGreater(int(counters.group(4)), 0, err)


class CompositorGone(unittest.TestCase):
    def test_killed_weston_is_a_clean_error(self):
        weston = Weston("desktop-shell.so")
        self.addCleanup(weston.stop)
        demo = Demo(weston, "--fullscreen", "--seconds", "60")
        self.addCleanup(demo.close)
        demo.wait_for("first frame presented")
        os.killpg(weston.proc.pid, signal.SIGKILL)
        weston.proc.wait()
        rc, out, err = demo.finish()
        self.assertEqual(rc, 1, err)  # not killed by a signal, no core dump
        self.assertIn(f"wayland {weston.socket}: the connection to the compositor is lost", err)
        self.assertIn("the demo stopped: the wayland backend is gone", err)
        self.assertIn("demo:", out)  # the summary still comes


if __name__ == "__main__":
    missing = [p for p in ("weston", "weston-screenshooter") if not shutil.which(p)]
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (Debian package weston)")
        sys.exit(SKIP)
    unittest.main(verbosity=2)
