#!/usr/bin/env python3
"""The udefio command line as a user meets it: --help and --version tell the
truth, bad input gives one clear line naming the value and a non-zero exit
(never a crash or a core dump), and the demo runs on the headless output."""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

UDEFIO = sys.argv.pop(1)
PLAIN_STORES = sys.argv.pop(1)  # the example client that draws with plain stores


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
        self.assertEqual(len(tracks), 6, tracks)
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
            self.assertEqual(r.returncode, 1)
            self.assertIn("another process", r.stderr)

    def test_program_ended_on_sigterm(self):
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.Popen([UDEFIO, "profile", "--backend", "headless", "--out", out, "--", PLAIN_STORES],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            import time
            time.sleep(1.5)
            p.send_signal(signal.SIGTERM)
            stdout, stderr = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, stderr)
            self.check_outputs(out, stdout)
            self.assertNotIn("SIGKILL", stderr, "the program ends on SIGTERM")

    def test_live_status_on_a_terminal(self):
        import pty
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
