#!/usr/bin/env python3
"""The udefio command line as a user meets it: --help and --version tell the
truth, bad input gives one clear line naming the value and a non-zero exit
(never a crash or a core dump), and the demo runs on the headless output."""
import os
import signal
import subprocess
import sys
import tempfile
import unittest

UDEFIO = sys.argv.pop(1)


def run(*args, timeout=60):
    return subprocess.run([UDEFIO, *args], capture_output=True, text=True, timeout=timeout)


class Cli(unittest.TestCase):
    def assert_one_line_error(self, args, *needles):
        r = run(*args)
        self.assertNotEqual(r.returncode, 0, f"{args}: exit 0\n{r.stdout}")
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
                     "kms", "wayland", "kernel"):
            self.assertIn(word, r.stdout)

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
