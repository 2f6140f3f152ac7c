#!/usr/bin/env python3
"""The udefio command line as a user meets it: --help and --version tell the
truth, bad input gives one clear line naming the value and a non-zero exit
(never a crash or a core dump), and the demo runs on the headless output."""
import csv
import json
import mmap
import os
import pty
import re
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wayland"))
from png_pixels import read_rgb  # noqa: E402  (the PNG reader the Wayland lane uses)

UDEFIO = sys.argv.pop(1)
PLAIN_STORES = sys.argv.pop(1)  # the example client that draws with plain stores
CLIENT_STORES = sys.argv.pop(1)  # libudefio-client, plain stores
CLIENT_DAMAGE = sys.argv.pop(1)  # libudefio-client, explicit damage in a band of rows


def run(*args, timeout=60):
    return subprocess.run([UDEFIO, *args], capture_output=True, text=True, timeout=timeout)


def wait_until(condition, timeout=30):
    """Polls `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Cli(unittest.TestCase):
    def assert_one_line_error(self, args, *needles, status=None):
        r = run(*args)
        self.assertNotEqual(r.returncode, 0, f"{args}: exit 0\n{r.stdout}")
        if status is not None:
            self.assertEqual(r.returncode, status, f"{args}: {r.stderr!r}")
        self.assertGreater(r.returncode, 0, f"{args}: killed by signal {-r.returncode}")
        self.assertNotIn(r.returncode, (128 + signal.SIGSEGV, 128 + signal.SIGABRT, 128 + signal.SIGBUS))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertTrue(lines, f"{args}: no error message")
        error = [l for l in lines if "udefio:" in l or "error" in l.lower() or "--" in l]
        self.assertTrue(error, f"{args}: {r.stderr!r}")
        for needle in needles:
            self.assertIn(needle, r.stderr, f"{args}: {r.stderr!r}")

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^udefio \d+\.\d+")

    def test_help_lists_the_commands(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("info", "demo", "--version"):
            self.assertIn(word, r.stdout)

    def test_info_names_every_tracker_and_backend(self):
        r = run("info")
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("uffd-async", "uffd-sync", "mprotect", "soft-dirty", "shadow", "explicit", "headless",
                     "kms", "wayland", "kernel", "other processes' writes"):
            self.assertIn(word, r.stdout)

    def test_info_says_how_fbdev_programs_stores_are_found(self):
        r = run("info")
        self.assertEqual(r.returncode, 0, r.stderr)
        line = re.search(r"fbdev programs .*\n  (.*)", r.stdout).group(1)
        if os.geteuid() == 0:  # seccomp user notification, ptrace of our child, a private /dev
            self.assertRegex(line, r"^yes  stores found by: userfaultfd write-protect in 1 process\(es\); "
                                   r"private /dev with fb0: yes$")

    def test_info_lists_display_devices_and_waits_for_one(self):
        r = run("info")
        self.assertIn("display devices (DRM):", r.stdout)
        if os.path.exists("/dev/dri/card0"):
            self.skipTest("this machine has a DRM card: the KMS lane checks --wait-device")
        self.assertIn("none: no /dev/dri/card*", r.stdout)
        r = run("info", "--wait-device", "0.2")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.count("waiting up to 0.2 s for one to appear (--wait-device)"), 1, r.stderr)
        self.assertIn("no display device after waiting 0.2 s", r.stderr)
        self.assertIn("display devices (DRM):", r.stdout, "the report comes all the same")
        self.assert_one_line_error(["info", "--wait-device", "-1"], "--wait-device")
        # The commands that drive outputs wait the same way (the backend factory).
        r = run("demo", "--backend", "kms", "--wait-device", "0.2", "--seconds", "1")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.count("waiting up to 0.2 s for one to appear (--wait-device)"), 1, r.stderr)
        self.assertIn("no display device after waiting 0.2 s", r.stderr)
        self.assert_one_line_error(["demo", "--wait-device", "-1"], "--wait-device")

    def test_impossible_sizes(self):
        self.assert_one_line_error(["demo", "--size", "0x600"], "0x600")
        self.assert_one_line_error(["demo", "--size", "100000x100000"], "100000x100000")
        self.assert_one_line_error(["demo", "--size", "big"], "big")

    def test_bad_strides(self):
        self.assert_one_line_error(["demo", "--size", "640x480", "--stride", "1000"], "1000")
        self.assert_one_line_error(["demo", "--size", "640x480", "--stride", "2562"], "2562")

    def test_unknown_format(self):
        self.assert_one_line_error(["demo", "--format", "YUYV"], "YUYV")

    def test_unknown_tracker(self):
        self.assert_one_line_error(["demo", "--tracker", "magic"], "magic")

    def test_unknown_backend(self):
        self.assert_one_line_error(["demo", "--backend", "vga"], "vga")

    def test_bad_delays(self):
        self.assert_one_line_error(["demo", "--delay", "0"], "--delay")
        self.assert_one_line_error(["demo", "--delay", "1e9"], "--delay")
        self.assert_one_line_error(["demo", "--delay", "-5"], "--delay")

    def test_unknown_flag(self):
        self.assert_one_line_error(["demo", "--frobnicate"], "--frobnicate")

    def test_tracker_this_kernel_lacks(self):
        info = run("info").stdout
        missing = [t for t in ("uffd-async", "uffd-sync", "mprotect", "soft-dirty")
                   if any(l.split()[:2] == [t, "no"] for l in info.splitlines() if l.split())]
        if not missing:
            self.skipTest("every tracker works on this kernel")
        self.assert_one_line_error(["demo", "--seconds", "1", "--backend", "headless", "--tracker", missing[0]],
                                   missing[0])

    def test_demo_runs_and_writes_frames(self):
        with tempfile.TemporaryDirectory() as out:
            r = run("demo", "--backend", "headless", "--seconds", "2", "--png-dir", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(out, r.stdout)
            pngs = [f for f in os.listdir(out) if f.endswith(".png")]
            self.assertTrue(pngs, "no PNG frames written")

    def test_unwritable_png_dir(self):
        self.assert_one_line_error(["demo", "--backend", "headless", "--seconds", "1", "--png-dir",
                                    "/proc/no-such-dir/frames"], "/proc/no-such-dir/frames")


class Traps(unittest.TestCase):
    """The command line's traps (issue 16, 5 and 9): exit 2 for a wrong command line, 1 for a failed run,
    every message one line starting with 'udefio:', paths checked before anything comes up."""

    def usage_error(self, args, *needles):
        r = run(*args)
        self.assertEqual(r.returncode, 2, f"{args}: {r.stderr!r}")
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, f"{args}: {r.stderr!r}")
        self.assertTrue(lines[0].startswith("udefio:"), f"{args}: {r.stderr!r}")
        for needle in needles:
            self.assertIn(needle, r.stderr, f"{args}: {r.stderr!r}")
        return r

    def test_cli11_errors_are_usage_errors_with_the_prefix(self):
        self.usage_error(["demo", "--delay", "abc"], "--delay", "abc")
        self.usage_error(["demo", "--frobnicate"], "--frobnicate")
        self.usage_error(["demo", "--seconds"], "--seconds")
        self.usage_error([], "a command is required")
        self.usage_error(["frob"], "unknown command 'frob'", "kiosk")
        self.usage_error(["-v", "frob"], "unknown command 'frob'")

    def test_verbose_and_quiet_after_the_command(self):
        r = run("demo", "--backend", "headless", "--size", "64x64", "--seconds", "0.2", "-v")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"udefio: \d\d:\d\d:\d\d\.\d{3} info:", "-v after the command")
        r = run("demo", "--backend", "headless", "--size", "64x64", "--seconds", "0.2", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.usage_error(["demo", "-v", "-q"], "--verbose", "--quiet")

    def test_sizes_are_checked_as_given(self):
        self.usage_error(["demo", "--size", "-5x10"], "-5x10")
        self.assertNotIn("4294967291", run("demo", "--size", "-5x10").stderr)
        self.usage_error(["demo", "--size", "640x480x"], "640x480x")
        # One value per --size: the word after it is not a second size.
        self.usage_error(["demo", "--size", "64x64", "extra"], "extra")

    def test_a_client_takes_one_command(self):
        with tempfile.TemporaryDirectory() as d:
            sock = os.path.join(d, "s")
            r = run("kiosk", "--backend", "headless", "--socket", sock, "--seconds", "1", "--client", "true",
                    "/bin/sleep", "5")
            # /bin/sleep 5 is the program (as if after --), not two more clients: it runs the second.
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("started /bin/sleep", r.stderr)
            self.assertNotIn("the demo on", r.stderr)

    def test_kiosk_dashes_without_a_program(self):
        with tempfile.TemporaryDirectory() as d:
            self.usage_error(["kiosk", "--backend", "headless", "--socket", os.path.join(d, "s"), "--"],
                             "no program after it")
            self.usage_error(["profile", "--backend", "headless", "--out", d, "--"], "no program after it")

    def test_a_missing_program_is_said_once_before_the_output(self):
        with tempfile.TemporaryDirectory() as d:
            r = run("kiosk", "--backend", "headless", "--socket", os.path.join(d, "s"), "--", "/nonexistent")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(r.stderr.count("/nonexistent"), 1, r.stderr)
            self.assertNotIn("output headless-0", r.stderr, "the output came up first")
            r = run("kiosk", "--backend", "headless", "--socket", os.path.join(d, "s"), "--", "no-such-program-x")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(r.stderr.count("no-such-program-x"), 1, r.stderr)

    def test_output_paths_checked_before_the_run(self):
        with tempfile.TemporaryDirectory() as d:
            afile = os.path.join(d, "a-file")
            open(afile, "w").close()
            for args, flag in ((["demo", "--png-dir", afile], "--png-dir"),
                               (["demo", "--profile", afile], "--profile"),
                               (["profile", "--out", afile], "--out"),
                               (["profile", "--out", ""], "--out"),
                               (["demo", "--png-dir", ""], "--png-dir")):
                # --seconds 100: an error at the end would come only after 100 s (the timeout is 60).
                r = run(*args, "--backend", "headless", "--seconds", "100")
                self.assertEqual(r.returncode, 1, f"{args}: {r.stderr!r}")
                self.assertIn(flag, r.stderr)
                self.assertNotIn("output headless-0", r.stderr, f"{args}: the output came up first")

    def test_help_says_what_restart_does(self):
        r = run("kiosk", "--help")
        self.assertEqual(r.returncode, 0)
        text = " ".join(r.stdout.split())
        self.assertIn("also after exit status 0", text)
        self.assertNotIn("when it dies", text)


class ConfigFile(unittest.TestCase):
    """--config FILE (CLI11's INI/TOML): every option, a command's under [demo], [profile], [kiosk]; the
    command line wins; a key that names no option is an error naming the file and the key."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="udefio-config-")
        self.conf = os.path.join(self.dir, "udefio.conf")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def test_options_from_the_file_and_the_command_line_wins(self):
        self.write("[demo]\nbackend = headless\nsize = 96x48\nseconds = 0.3\n")
        r = run("--config", self.conf, "demo")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"options read from {self.conf}", r.stderr)
        self.assertIn("output headless-0: 96x48", r.stderr)
        r = run("--config", self.conf, "demo", "--size", "32x16")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("output headless-0: 32x16", r.stderr)
        # After the command too, as -v.
        r = run("demo", "--config", self.conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("output headless-0: 96x48", r.stderr)

    def test_the_kiosk_program_and_global_flags(self):
        sock = os.path.join(self.dir, "s")
        self.write(f"quiet = true\n[kiosk]\nbackend = headless\nsocket = {sock}\nrestart = never\n"
                   f"program = [\"sh\", \"-c\", \"exit 3\"]\n")
        r = run("--config", self.conf, "kiosk")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("exited with status 3", r.stderr)
        self.assertNotIn("info:", r.stderr, "quiet = true")

    def test_a_bad_key_names_the_file_and_the_key(self):
        for text, key in (("[demo]\nfrobnicate = 1\n", "demo.frobnicate"), ("colour = red\n", "colour"),
                          ("[nosuch]\nsize = 1x1\n", "section [nosuch]")):
            self.write(text)
            r = run("--config", self.conf, "demo", "--backend", "headless", "--seconds", "0.2")
            self.assertEqual(r.returncode, 2, f"{text!r}: {r.stderr}")
            self.assertIn(self.conf, r.stderr)
            self.assertIn(key, r.stderr)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_a_bad_value_and_a_missing_file(self):
        self.write("[demo]\ndelay = soon\n")
        r = run("--config", self.conf, "demo", "--backend", "headless", "--seconds", "0.2")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("soon", r.stderr)
        missing = os.path.join(self.dir, "missing.conf")
        r = run("--config", missing, "demo", "--backend", "headless", "--seconds", "0.2")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(missing, r.stderr)

    def test_the_installed_example_is_valid(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        with open(os.path.join(root, "tools", "systemd", "udefio.conf.example")) as f:
            text = f.read()
        # Every key, the commented ones too, names an option.
        self.write(re.sub(r"^# ?(\w[\w-]* = )", r"\1", text, flags=re.M))
        r = run("--config", self.conf, "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"options read from {self.conf}", r.stderr)

    def test_the_default_file_is_named_in_the_help(self):
        r = run("--help")
        self.assertRegex(r.stdout, r"--config.*\n?.*/etc/udefio/udefio\.conf")  # whatever the prefix


def have_a_display():
    import glob
    return bool(glob.glob("/dev/dri/card*")) or bool(os.environ.get("WAYLAND_DISPLAY"))


class Fallback(unittest.TestCase):
    """--backend auto without a display runs headless and says so (--fallback); options that do not apply to
    the backend are errors naming the option and the backend."""

    def test_options_that_do_not_apply_to_the_backend(self):
        for args, flag, backend in ((["--backend", "headless", "--mode", "800x600"], "--mode", "headless"),
                                    (["--backend", "headless", "--device", "/dev/dri/card0"], "--device", "headless"),
                                    (["--backend", "headless", "--fullscreen"], "--fullscreen", "headless"),
                                    (["--backend", "kms", "--fullscreen"], "--fullscreen", "kms"),
                                    (["--backend", "kms", "--size", "640x480"], "--size", "kms"),
                                    (["--backend", "wayland", "--no-atomic"], "--no-atomic", "wayland"),
                                    (["--backend", "headless", "--fallback", "headless"], "--fallback", "headless")):
            r = run("demo", *args, "--seconds", "0.2")
            self.assertEqual(r.returncode, 2, f"{args}: {r.stderr}")
            self.assertIn(flag, r.stderr)
            self.assertIn(f"not to {backend}", r.stderr)
        r = run("demo", "--fallback", "sometimes")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("sometimes", r.stderr)

    def test_a_keymap_xkbcommon_cannot_make_fails_the_start(self):
        """A bad --xkb-* value is a usage error at once, on auto too (it may find a display), not a kiosk that
        runs without a keyboard; an option xkbcommon would only log and leave out is one as well."""
        for args, needle in ((["--xkb-layout", "zz"], 'symbols/zz'),
                             (["--xkb-layout", "us", "--xkb-variant", "nosuch"], "us(nosuch)"),
                             (["--xkb-options", "ctrl:nocap"], '"ctrl:nocap"')):
            for backend in ("auto", "kms"):
                r = run("demo", "--backend", backend, "--seconds", "0.2", *args)
                self.assertEqual(r.returncode, 2, f"{backend} {args}: {r.stderr}")
                self.assertIn("no xkb keymap", r.stderr)
                self.assertIn(needle, r.stderr)
        r = run("demo", "--seconds", "0.2", "--size", "64x64", "--fallback", "headless", "--xkb-layout", "de",
                "--xkb-options", "ctrl:nocaps")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_auto_without_a_display(self):
        if have_a_display():
            self.skipTest("this machine has a display: the KMS lane")
        r = run("demo", "--seconds", "0.3", "--size", "64x64")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no display found", r.stderr)
        self.assertIn("running on the headless output instead", r.stderr)
        self.assertIn("warning:", [l for l in r.stderr.splitlines() if "no display found" in l][0], "said as a warning")
        r = run("demo", "--seconds", "0.3", "--fallback", "none")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no display to run on", r.stderr)
        self.assertIn("--fallback none", r.stderr)
        # A display was asked for: not a silent headless run.
        r = run("demo", "--seconds", "0.3", "--mode", "1920x1080")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--mode applies to the kms backend, not to headless", r.stderr)
        r = run("demo", "--seconds", "0.3", "--mode", "1920x1080", "--fallback", "headless")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("running on the headless output instead", r.stderr)

    def test_the_readmes_first_command(self):
        """tools/bootstrap.sh run: the kiosk with the demo client on the default output; headless here."""
        if have_a_display():
            self.skipTest("this machine has a display: the KMS lane")
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        with open(os.path.join(root, "tools", "bootstrap.sh")) as f:
            line = [l for l in f if "udefio kiosk" in l and "exec " in l][0]
        args = line.split("udefio kiosk", 1)[1].split()
        self.assertEqual(args[:4], ["--seconds", "5", "--png-dir", "out/frames"], line)
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, "out"))  # bootstrap.sh: mkdir -p out
            r = subprocess.run([os.path.abspath(UDEFIO), "kiosk", "--seconds", "2", "--png-dir", "out/frames", "--socket",
                                os.path.join(d, "out", "udefio-0")], cwd=d, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("running on the headless output instead", r.stderr)
            self.assertRegex(r.stdout, r"kiosk: [1-9]\d* flushes")
            self.assertTrue(os.path.exists(os.path.join(d, "out", "frames", "frame-final.png")), r.stdout)


class Logs(unittest.TestCase):
    """Under systemd stderr is the journal (JOURNAL_STREAM names it): lines carry their syslog
    priority as "<N>"; elsewhere they say "udefio:", with the time of day under -v."""

    def log_of_a_demo(self, *flags, journal=None):
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        with tempfile.NamedTemporaryFile("w+") as log:
            st = os.fstat(log.fileno())
            if journal == "this file":
                env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
            elif journal == "another file":
                env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino + 1}"
            r = subprocess.run([UDEFIO, *flags, "demo", "--backend", "headless", "--size", "320x240",
                                "--seconds", "0.3"], stdout=subprocess.PIPE, stderr=log, env=env, timeout=60)
            self.assertEqual(r.returncode, 0)
            log.seek(0)
            lines = log.read().splitlines()
        self.assertTrue(lines, "nothing was logged")
        return lines

    def test_priority_prefixes_when_stderr_is_the_journal(self):
        lines = self.log_of_a_demo(journal="this file")
        for line in lines:
            self.assertRegex(line, r"^<[3467]>(debug|info|warning|error): ")
        self.assertTrue(any(line.startswith("<6>info: ") for line in lines), lines)

    def test_plain_lines_when_the_journal_is_another_file(self):
        for line in self.log_of_a_demo(journal="another file"):
            self.assertRegex(line, r"^udefio: (info|warning|error): ")

    def test_verbose_lines_carry_the_time_of_day(self):
        for line in self.log_of_a_demo("-v"):
            self.assertRegex(line, r"^udefio: \d\d:\d\d:\d\d\.\d{3} (debug|info|warning|error): ")


class Profile(unittest.TestCase):
    def check_outputs(self, out, stdout):
        frames = int(re.search(r"profile: (\d+) frames", stdout).group(1))
        self.assertGreater(frames, 0, stdout)
        self.assertRegex(stdout, r"write -> present +p50 +[\d.]+ ms +p95 +[\d.]+ ms +p99 +[\d.]+ ms")
        for name in ("summary.txt", "trace.json", "frames.csv", "frames.json", "heatmap.png"):
            self.assertTrue(os.path.getsize(os.path.join(out, name)) > 0, name)
        with open(os.path.join(out, "trace.json")) as f:
            trace = json.load(f)
        tracks = {e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "thread_name"}
        self.assertEqual(len(tracks), 7, tracks)
        self.assertTrue(any(e["ph"] == "X" and e["name"] == "present" for e in trace["traceEvents"]))
        with open(os.path.join(out, "frames.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), frames)
        with open(os.path.join(out, "heatmap.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        return rows

    def test_profile_the_demo(self):
        with tempfile.TemporaryDirectory() as out:
            r = run("profile", "--backend", "headless", "--size", "320x240", "--seconds", "2", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.check_outputs(out, r.stdout)
            self.assertNotIn("\r", r.stderr, "the live status line is for terminals only")

    def test_profile_flag_on_demo(self):
        with tempfile.TemporaryDirectory() as out:
            r = run("demo", "--backend", "headless", "--size", "320x240", "--seconds", "1", "--profile", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.check_outputs(out, r.stdout)

    def test_profile_a_program(self):
        with tempfile.TemporaryDirectory() as out:
            r = run("profile", "--backend", "headless", "--size", "320x240", "--out", out, "--",
                    PLAIN_STORES, "60")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("exited with status 0", r.stderr)
            rows = self.check_outputs(out, r.stdout)
            self.assertEqual({row["tracker"] for row in rows}, {"shadow"})
            # A moving square: each frame copies a small part of the screen.
            full = int(rows[0]["full_frame_bytes"])
            small = [row for row in rows if int(row["bytes_copied"]) < full / 4]
            self.assertGreater(len(small), len(rows) / 2, rows[:5])

    def test_program_errors(self):
        with tempfile.TemporaryDirectory() as out:
            r = run("profile", "--backend", "headless", "--out", out, "--", "/no/such/program")
            self.assertEqual(r.returncode, 1)
            self.assertIn("/no/such/program", r.stderr)
            r = run("profile", "--backend", "headless", "--out", out, "--", "sh", "-c", "exit 3")
            self.assertEqual(r.returncode, 1)
            self.assertIn("exited with status 3", r.stderr)
            r = run("profile", "--backend", "headless", "--out", out, "--", "sh", "-c", "kill -SEGV $$")
            self.assertEqual(r.returncode, 1)
            self.assertIn("killed by SIGSEGV", r.stderr)
            r = run("profile", "--backend", "headless", "--tracker", "mprotect", "--out", out, "--", "true")
            self.assertEqual(r.returncode, 2, "a usage error")
            self.assertIn("another process", r.stderr)

    def test_program_ended_on_sigterm(self):
        with tempfile.TemporaryDirectory() as out:
            frames = os.path.join(out, "frames")
            p = subprocess.Popen([UDEFIO, "profile", "--backend", "headless", "--out", out, "--png-dir", frames,
                                  "--", PLAIN_STORES], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # The first snapshot is written at the first vblank that showed a
            # frame: the program runs, drew, and a frame was profiled.
            shown = wait_until(lambda: os.path.exists(os.path.join(frames, "frame-0000.png")))
            p.send_signal(signal.SIGTERM)
            stdout, stderr = p.communicate(timeout=30)
            self.assertTrue(shown, f"no frame was shown: {stderr}")
            self.assertEqual(p.returncode, 0, stderr)
            self.check_outputs(out, stdout)
            self.assertNotIn("SIGKILL", stderr, "the program ends on SIGTERM")

    def test_blanked_time_is_a_gap_in_the_profile(self):
        """--blank-after: the time the outputs were off is named in the summary and the trace."""
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.Popen([UDEFIO, "profile", "--backend", "headless", "--size", "64x64", "--blank-after",
                                  "0.2", "--out", out, "--", "sleep", "600"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            log = ""
            for line in p.stderr:  # until the log says the output went off
                log += line
                if "switched off" in line:
                    break
            p.send_signal(signal.SIGTERM)
            stdout, stderr = p.communicate(timeout=60)
            self.assertIn("switched off: no input and no drawing", log, log + stderr)
            self.assertRegex(stdout, r"output gap +blanked \(idle\) \(to the end\) for \d+\.\d+ s", stdout)
            with open(os.path.join(out, "trace.json")) as f:
                trace = json.load(f)["traceEvents"]
            gaps = [e for e in trace if e["ph"] == "X" and e["name"].startswith("blanked (idle)")]
            self.assertEqual(len(gaps), 1, trace)
            self.assertGreater(gaps[0]["dur"], 0)

    def test_live_status_on_a_terminal(self):
        master, slave = pty.openpty()
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([UDEFIO, "profile", "--backend", "headless", "--size", "320x240", "--seconds", "2",
                                "--out", out], stdout=subprocess.PIPE, stderr=slave, timeout=60)
            os.close(slave)
            seen = b""
            try:
                while chunk := os.read(master, 65536):
                    seen += chunk
            except OSError:
                pass  # EIO: the terminal's other end is closed
            os.close(master)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(seen.decode(errors="replace"), r"\r\x1b\[Kprofile: \d+ frames, [\d.]+ fps, write -> present")

    def test_unwritable_out_dir(self):
        r = run("profile", "--backend", "headless", "--out", "/proc/no-such-dir/p")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/proc/no-such-dir/p", r.stderr)


class Kiosk(unittest.TestCase):
    """`udefio kiosk`: the program kept running with back-off, the socket
    owned by one udefio, and a protocol client drawing through a lease."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="udefio-kiosk-")
        self.socket = os.path.join(self.dir, "udefio-0")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_kiosk(self, *args):
        """A kiosk in the background, once its socket is there, connected to (a SEQPACKET socket)."""
        p = subprocess.Popen(self.kiosk(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertTrue(wait_until(lambda: os.path.exists(self.socket)), "the kiosk did not make its socket")
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(self.socket)
        c.settimeout(30)  # a bound for a hang, not a wait
        return p, c

    def kiosk(self, *args, program=("sh", "-c", "sleep 60")):
        return [UDEFIO, "kiosk", "--backend", "headless", "--size", "256x64", "--socket", self.socket, *args,
                "--", *program]

    def test_options_given_more_than_once_leave_the_program_alone(self):
        """An option that may be given more than once (--transform, --client, --size), last before the
        `--`, does not swallow the program's own options (`sh -c ...` was refused with "-c not expected")."""
        for option in (("--transform", "90"), ("--client", "true"), ("--size", "256x64")):
            r = subprocess.run(self.kiosk("--restart", "never", *option, program=("sh", "-c", "exit 0")),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, f"{option}: {r.stderr}")

    def test_restarts_with_backoff_and_says_why(self):
        r = subprocess.run(self.kiosk("--restart", "on-failure", "--backoff", "50", "--seconds", "2",
                                      program=("sh", "-c", "sleep 0.1; exit 3")),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        waits = [float(w) for w in re.findall(r"exited with status 3 after [\d.]+ s; restarting it in ([\d.]+) s",
                                              r.stderr)]
        self.assertGreaterEqual(len(waits), 3, r.stderr)
        self.assertEqual(waits[:3], [0.1, 0.1, 0.2] if waits[0] == 0.1 else waits[:3])
        self.assertTrue(all(b >= a for a, b in zip(waits, waits[1:])), f"the back-off shrank: {waits}")
        self.assertIn("the wait doubles while it keeps ending within 10 s", r.stderr)

    def test_restart_always_says_it_restarts_a_clean_exit(self):
        r = subprocess.run(self.kiosk("--backoff", "50", "--seconds", "1", program=("true",)),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("true exited with status 0 after", r.stderr)
        self.assertIn("--restart always restarts a program that exited 0 too", r.stderr)

    def test_never_and_on_failure_end_with_the_program(self):
        r = subprocess.run(self.kiosk("--restart", "never", program=("sh", "-c", "exit 3")),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exited with status 3; not restarting it (--restart never)", r.stderr)
        r = subprocess.run(self.kiosk("--restart", "on-failure", program=("true",)),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("restarting it in", r.stderr)

    def test_sigterm_ends_the_program_and_removes_the_socket(self):
        p = subprocess.Popen(self.kiosk(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertTrue(wait_until(lambda: os.path.exists(self.socket)), "the kiosk did not make its socket")
        # A second udefio on the same socket is refused and says why.
        second = subprocess.run(self.kiosk("--seconds", "1"), capture_output=True, text=True, timeout=60)
        self.assertEqual(second.returncode, 1)
        self.assertIn("another running udefio", second.stderr)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        # It failed before it brought up an output (the first says when it does).
        self.assertIn("output headless-0: 256x64", err)
        self.assertNotIn("output headless-0", second.stderr)
        self.assertFalse(os.path.exists(self.socket))
        self.assertNotIn("SIGKILL", err)

    def test_max_clients_refuses_the_one_too_many_and_serves_the_rest(self):
        """--max-clients 2: a third client is told why and closed; the two go on being served, and a
        place that frees up is taken again. A bad count is a usage error."""
        p = subprocess.Popen(self.kiosk("--max-clients", "2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        seen = []  # the log lines read while it runs
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(self.socket)), "the kiosk did not make its socket")

            def hello():
                c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                c.connect(self.socket)
                c.settimeout(30)  # a bound for a hang, not a wait
                c.send(struct.pack("=III", 1, 12, 1))
                return c, c.recv(4096)

            first, a = hello()
            second, b = hello()
            self.assertEqual(struct.unpack("=I", a[:4])[0], 101)
            self.assertEqual(struct.unpack("=I", b[:4])[0], 101)
            # Refused as it connects: told why, then closed (it sends nothing, so nothing of its is unread).
            third = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            third.connect(self.socket)
            third.settimeout(30)
            self.assertIn(b"--max-clients", third.recv(4096))
            self.assertEqual(third.recv(4096), b"", "the refused client was not closed")
            third.close()
            first.close()
            # The first one's place is free once the kiosk has seen it go, which its log says.
            for line in p.stderr:
                seen.append(line)
                if "gone: disconnected" in line:
                    break
            again, d = hello()
            again.close()
            self.assertEqual(struct.unpack("=I", d[:4])[0], 101, "the freed place was not given to a new client")
            second.send(struct.pack("=III", 1, 12, 1))  # hello twice: the second client is still served
            self.assertIn(b"hello twice", second.recv(4096))
            second.close()
        finally:
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            err = "".join(seen) + err
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("the most --max-clients allows", err)
        for bad in ("0", "5000", "many"):
            r = subprocess.run(self.kiosk("--max-clients", bad), capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--max-clients", r.stderr)
        r = subprocess.run(self.kiosk("--shadow-memory", "-1"), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--shadow-memory", r.stderr)
        r = subprocess.run(self.kiosk("--focus-requests", "everyone"), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--focus-requests", r.stderr)

    def test_sigterm_as_soon_as_the_socket_is_there(self):
        """The socket comes before the output (a big one here, slow to make): a SIGTERM in between is a
        clean stop too, not death by the signal with the socket and its lock left behind."""
        for _ in range(3):
            p = subprocess.Popen(self.kiosk("--size", "4096x4096"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            self.assertTrue(wait_until(lambda: os.path.exists(self.socket)), "the kiosk did not make its socket")
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertFalse(os.path.exists(self.socket))
            self.assertFalse(os.path.exists(self.socket + ".lock"))

    def assert_ends(self, pid, what):
        """`pid` ends (a zombie counts) within a bound; killed here if not, so that no test leaves it."""
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return
        try:
            ended = select.select([pidfd], [], [], 30)[0]
            if not ended:
                os.kill(pid, signal.SIGKILL)
            self.assertTrue(ended, f"{what} (pid {pid}) outlived udefio")
        finally:
            os.close(pidfd)

    # The program prints its pid and its background child's on udefio's stdout.
    SHELL_WITH_A_CHILD = ("sh", "-c", "sleep 1000 & echo pids $$ $!; wait")

    def start_shell_with_a_child(self, *args):
        p = subprocess.Popen(self.kiosk(*args, program=self.SHELL_WITH_A_CHILD), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        self.assertTrue(line.startswith("pids "), f"the program did not start: {line!r}")
        pids = [int(pid) for pid in line.split()[1:]]
        self.addCleanup(self.kill_leftovers, pids)
        return p, pids

    @staticmethod
    def kill_leftovers(pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def test_children_end_when_udefio_is_killed(self):
        p = subprocess.Popen(self.kiosk(program=("/bin/sleep", "1000")), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        started = None
        while started is None and (line := p.stderr.readline()):
            started = re.search(r"started /bin/sleep \(pid (\d+)\)", line)
        self.assertIsNotNone(started, "the program did not start")
        p.kill()
        p.wait()
        self.assert_ends(int(started.group(1)), "the program")
        p.stdout.close()
        p.stderr.close()

        p, (shell, background) = self.start_shell_with_a_child()
        p.kill()
        p.wait()
        self.assert_ends(shell, "the program")
        self.assert_ends(background, "what the program started")
        p.stdout.close()
        p.stderr.close()

    def test_sighup_is_a_clean_stop(self):
        p, pids = self.start_shell_with_a_child()
        p.send_signal(signal.SIGHUP)
        p.wait(timeout=60)
        for pid in pids:
            self.assert_ends(pid, "the program or its child")
        _, err = p.communicate(timeout=60)  # its pipes close with the program
        self.assertEqual(p.returncode, 0, err)
        self.assertFalse(os.path.exists(self.socket))

    def test_what_is_at_the_socket_path_is_left_alone(self):
        precious = os.path.join(self.dir, "precious.txt")
        with open(precious, "w") as f:
            f.write("keep me")
        directory = os.path.join(self.dir, "a-directory")
        os.mkdir(directory)
        for path, kind in ((precious, "regular file"), (directory, "directory")):
            r = subprocess.run([UDEFIO, "kiosk", "--backend", "headless", "--socket", path, "--", "true"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f"{kind} is there, not a socket", r.stderr)
            self.assertFalse(os.path.exists(path + ".lock"), f"{path}.lock left behind")
        with open(precious) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertTrue(os.path.isdir(directory))

    def test_a_full_fd_table_refuses_clients_without_spinning(self):
        """RLIMIT_NOFILE 64 and 80 clients: each one is answered, welcomed or closed at once, and the
        kiosk says so once instead of spinning on EMFILE with a flood of log."""
        p = subprocess.Popen(self.kiosk(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
        try:
            for _ in range(500):
                if os.path.exists(self.socket):
                    break
                time.sleep(0.02)
            clients = []
            welcomed = refused = 0
            for _ in range(80):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                c.connect(self.socket)
                try:
                    c.send(struct.pack("=III", 1, 12, 1))  # hello
                    clients.append(c)
                except (BrokenPipeError, ConnectionResetError):
                    refused += 1  # closed already
                    c.close()
            deadline = time.monotonic() + 30
            for c in clients:
                c.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    data = c.recv(256)
                except ConnectionResetError:
                    data = b""
                except TimeoutError:
                    self.fail(f"a client was neither welcomed nor refused in 30 s ({welcomed} welcomed, "
                              f"{refused} refused before it)")
                if data:
                    self.assertEqual(struct.unpack("=I", data[:4])[0], 101)  # welcome
                    welcomed += 1
                else:
                    refused += 1
                c.close()
            self.assertGreater(welcomed, 0)
            self.assertGreater(refused, 0)
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                _, err = p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
                err += "\n(test: it did not stop on SIGTERM)"
        self.assertEqual(p.returncode, 0, err[-2000:])
        self.assertLess(len(err), 20000, "the log was flooded")
        self.assertEqual(err.count("at the limit of open files"), 1, err[-2000:])

    def test_bad_flags(self):
        for args, needle in ((["--restart", "sometimes"], "sometimes"), (["--backoff", "0"], "--backoff"),
                             (["--client", "true", "--client-rows", "10:0"], "FIRST:COUNT"),
                             (["--client", "true", "--client-rows", "ten"], "FIRST:COUNT"),
                             (["--client-rows", "0:10"], "--client-rows given 1 times for 0 --client"),
                             (["--no-fbdev", "--client", "true", "--client-rows", "0:10"], "no /dev/fb0")):
            r = subprocess.run(self.kiosk(*args), capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(needle, r.stderr)
        env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
        r = subprocess.run([UDEFIO, "kiosk", "--backend", "headless", "--", "true"], capture_output=True, text=True,
                           timeout=60, env=env)
        self.assertEqual(r.returncode, 2, "no --socket and nowhere to put it: a usage error")
        self.assertIn("XDG_RUNTIME_DIR is not set", r.stderr)

    def test_socket_group_and_mode(self):
        import stat as st
        for args, mode, gid in (((), 0o700, None), (("--socket-group", str(os.getgid())), 0o770, os.getgid()),
                                (("--socket-mode", "0750"), 0o750, None)):
            p, c = self.start_kiosk(*args)
            info = os.stat(self.socket)
            c.close()
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
            self.assertTrue(st.S_ISSOCK(info.st_mode))
            self.assertEqual(st.S_IMODE(info.st_mode), mode, f"{args}: {oct(info.st_mode)}")
            if gid is not None:
                self.assertEqual(info.st_gid, gid)
        for args, needle in ((("--socket-mode", "999"), "999"), (("--socket-group", "no-such-group-x"),
                                                                  "no-such-group-x")):
            r = subprocess.run(self.kiosk(*args), capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(needle, r.stderr)

    def test_without_a_program_the_demo_runs(self):
        frames = os.path.join(self.dir, "demo")
        r = subprocess.run([UDEFIO, "kiosk", "--backend", "headless", "--socket", self.socket, "--seconds", "1",
                            "--png-dir", frames], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"kiosk: [1-9]\d* flushes")
        self.assertTrue(os.path.exists(os.path.join(frames, "frame-final.png")))

    def test_the_library_examples_run_under_the_kiosk(self):
        # 30 frames of a 16-px square moving 4 px: it ends at x 120. client-stores
        # draws it at row 21 of the whole surface, client-damage at row 32, in
        # its lease of the lower half.
        for program, y, rgb in ((CLIENT_STORES, 21, b"\x30\xc0\x60"), (CLIENT_DAMAGE, 32, b"\xe0\xa0\x20")):
            frames = os.path.join(self.dir, os.path.basename(program))
            r = subprocess.run(self.kiosk("--restart", "never", "--png-dir", frames, program=(program, "30")),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("30 frames presented", r.stdout)
            _, _, rows = read_rgb(os.path.join(frames, "frame-final.png"))
            self.assertEqual(rows[y + 8][(120 + 8) * 3:(120 + 9) * 3], rgb, program)
            self.assertEqual(rows[y + 8][(100) * 3:(101) * 3], b"\x00\x00\x00" if program == CLIENT_DAMAGE
                             else b"\x20\x28\x30", f"{program}: the square's old place was not erased")

    def test_two_clients_share_the_output(self):
        """The main program leases the whole surface, a --client the lower half:
        both squares are on the output at the end."""
        frames = os.path.join(self.dir, "shared")
        r = subprocess.run(self.kiosk("--restart", "never", "--png-dir", frames, "--client", f"{CLIENT_DAMAGE} 40",
                                      program=(CLIENT_STORES, "60")),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("client-damage: 40 frames presented", r.stdout)
        self.assertIn("client-stores: 60 frames presented", r.stdout)
        _, _, rows = read_rgb(os.path.join(frames, "frame-final.png"))
        self.assertEqual(rows[29][8 * 3:9 * 3], b"\x30\xc0\x60", "the main program's square (x 0, row 21)")
        self.assertEqual(rows[40][168 * 3:169 * 3], b"\xe0\xa0\x20", "the --client's square (x 160, row 32)")

    def test_sigusr1_revokes_and_leases_expire(self):
        for args, reason in ((["--lease-seconds", "0.3"], 3), ([], 1)):
            p, c = self.start_kiosk(*args)
            try:
                for opcode, body in ((1, struct.pack("=I", 1)), (2, struct.pack("=I", 1)),
                                     (3, struct.pack("=IIQQ", 1, 9, 0, 4096))):
                    c.send(struct.pack("=II", opcode, 8 + len(body)) + body)
                while True:
                    data, ancdata, _, _ = c.recvmsg(256, socket.CMSG_SPACE(4))
                    for a in ancdata:
                        os.close(struct.unpack("=i", a[2][:4])[0])
                    opcode = struct.unpack("=I", data[:4])[0]
                    if opcode == 103 and not args:  # leased: now there is a lease to revoke
                        p.send_signal(signal.SIGUSR1)
                    if opcode == 106:
                        self.assertEqual(struct.unpack("=II", data[8:16]), (9, reason))
                        break
                c.close()
            finally:
                p.send_signal(signal.SIGTERM)
                _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
        r = subprocess.run(self.kiosk("--lease-seconds", "-1"), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, "a usage error")
        self.assertIn("--lease-seconds", r.stderr)

    def test_a_protocol_client_draws_through_a_lease(self):
        frames = os.path.join(self.dir, "frames")
        p, c = self.start_kiosk("--png-dir", frames)
        try:

            def request(opcode, fmt, *fields):
                body = struct.pack(fmt, *fields)
                c.send(struct.pack("=II", opcode, 8 + len(body)) + body)

            def event():
                data, ancdata, _, _ = c.recvmsg(256, socket.CMSG_SPACE(4))
                opcode, size = struct.unpack("=II", data[:8])
                fds = [struct.unpack("=i", a[2][:4])[0] for a in ancdata]
                return opcode, data[8:size], fds

            request(1, "=I", 1)  # hello
            self.assertEqual(event()[0], 101)  # welcome
            request(2, "=I", 1)  # create_surface 1
            op, body, _ = event()
            self.assertEqual(op, 102)
            width, height, stride = struct.unpack("=IIII", body[:16])[1:]
            self.assertEqual((width, height, stride), (256, 64, 1024))
            request(3, "=IIQQ", 1, 7, 4096 * 2, 4096 * 4)  # lease rows 8..23
            op, body, fds = event()
            self.assertEqual(op, 103)
            self.assertEqual(len(fds), 1)
            m = mmap.mmap(fds[0], 4096 * 4)
            m[:] = b"\x00\x00\xff\x00" * 4096  # red, with plain stores
            request(5, "=II", 1, 1)  # commit, no damage: all of the lease
            presented = None
            while presented is None:
                op, body, _ = event()
                if op == 105:
                    presented = struct.unpack("=IIQQ", body)
            self.assertEqual(presented[1], 1)
            m.close()
            os.close(fds[0])
            c.close()
        finally:
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("client", err)
        w, h, rows = read_rgb(os.path.join(frames, "frame-final.png"))
        self.assertEqual(rows[8][0:3], b"\xff\x00\x00", "the lease's pixels are not on the output")
        self.assertEqual(rows[23][255 * 3:256 * 3], b"\xff\x00\x00")
        self.assertEqual(rows[7][0:3], b"\x00\x00\x00", "outside the lease")
        self.assertEqual(rows[24][0:3], b"\x00\x00\x00", "outside the lease")


if __name__ == "__main__":
    unittest.main(verbosity=2)
