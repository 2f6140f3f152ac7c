#!/usr/bin/env python3
"""The KMS lane (DESIGN.md, tests/vm): udefio's KMS backend on the kernel's
bochs and virtio-gpu drivers in a QEMU guest. The pixels are read back from
the host with QMP screendump: the picture is right, a damaged region updates,
the rest stays untouched, FB_DAMAGE_CLIPS is used where the driver offers it.

  test_kms.py KMS_CHECK UNPLUG_CHECK RESTORE_CHECK HOTPLUG_CHECK UDEFIO
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
KMS_CHECK, UNPLUG_CHECK, RESTORE_CHECK, HOTPLUG_CHECK, UDEFIO = (sys.argv.pop(1) for _ in range(5))


def guest(driver, *args, screendump_dir=None, extra=()):
    cmd = [sys.executable, os.path.join(HERE, "guest.py"), "run", driver]
    if screendump_dir:
        cmd += ["--screendump-dir", screendump_dir]
    for binary in extra:
        cmd += ["--with", binary]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:], sep="\n", flush=True)
    return r


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1:pos + 1 + width * height * 3]


def pattern(x, y):
    v = ((x * 7) ^ (y * 13)) & 0xFFFFFF
    return bytes(((v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF))


SQUARE = (200, 100, 64, 64)  # x, y, w, h, as kms_check.cpp draws it


def in_square(x, y):
    return SQUARE[0] <= x < SQUARE[0] + SQUARE[2] and SQUARE[1] <= y < SQUARE[1] + SQUARE[3]


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "qemu-system-x86_64 is not installed "
                     "(tools/bootstrap.sh test installs it)")
class KmsLane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([sys.executable, os.path.join(HERE, "guest.py"), "prepare"])
        if r.returncode != 0:
            raise unittest.SkipTest("the guest could not be prepared")

    def check_scanout(self, driver, *args):
        with tempfile.TemporaryDirectory() as dumps:
            r = guest(driver, KMS_CHECK, *args, screendump_dir=dumps)
            self.assertIn("UDEFIO-EXIT=0", r.stdout)
            info = dict(kv.split("=") for kv in next(
                l for l in r.stdout.splitlines() if l.startswith("UDEFIO-KMS")).split()[1:])
            w, h, a = read_ppm(os.path.join(dumps, "a.ppm"))
            self.assertEqual((w, h), (int(info["width"]), int(info["height"])))
            wrong = sum(1 for y in range(0, h, 3) for x in range(0, w, 3)
                        if a[(y * w + x) * 3:(y * w + x) * 3 + 3] != pattern(x, y))
            self.assertEqual(wrong, 0, "pixels of the full-screen pattern wrong on the screen")
            _, _, b = read_ppm(os.path.join(dumps, "b.ppm"))
            red = b"\xff\x00\x00"
            square_wrong = sum(1 for y in range(SQUARE[1], SQUARE[1] + SQUARE[3])
                               for x in range(SQUARE[0], SQUARE[0] + SQUARE[2])
                               if b[(y * w + x) * 3:(y * w + x) * 3 + 3] != red)
            self.assertEqual(square_wrong, 0, "the damaged square did not reach the screen")
            changed = sum(1 for y in range(h) for x in range(0, w, 2)
                          if not in_square(x, y) and a[(y * w + x) * 3:(y * w + x) * 3 + 3]
                          != b[(y * w + x) * 3:(y * w + x) * 3 + 3])
            self.assertEqual(changed, 0, "pixels outside the damage changed")
            # A small change after both buffers caught up copies rows of a few pages, not the frame.
            self.assertLess(int(info["square_bytes"]), w * h * 4 // 4, "a small change was flushed as a full frame")
            return info

    def test_bochs_atomic(self):
        info = self.check_scanout("bochs")
        self.assertEqual(info["damage_clips_supported"], "0")  # bochs has no FB_DAMAGE_CLIPS (PLATFORM.md)
        self.check_out_fences(info)

    def check_out_fences(self, info):
        """Atomic commits ask for OUT_FENCE_PTR; each fence has signalled by its
        flip; a client's fence goes to the next commit as IN_FENCE_FD (and the
        picture checked after it is still right)."""
        self.assertGreater(int(info["out_fences"]), 0, "no OUT_FENCE_PTR fence from an atomic commit")
        self.assertGreaterEqual(int(info["out_fences"]), int(info["flips"]))  # one may still be in flight
        self.assertEqual(info["fences_signalled"], info["flips"], "a flip arrived before its fence signalled")
        self.assertEqual(info["in_fences"], "1", "the commit with a client's fence did not pass IN_FENCE_FD")

    def test_bochs_legacy(self):
        self.check_scanout("bochs", "--no-atomic")

    def test_virtio_gpu_atomic_uses_damage_clips(self):
        info = self.check_scanout("virtio-gpu")
        self.check_out_fences(info)
        self.assertEqual(info["damage_clips_supported"], "1")
        self.assertGreater(int(info["clips"]), 0, "FB_DAMAGE_CLIPS offered but not used")

    def test_virtio_gpu_legacy(self):
        self.check_scanout("virtio-gpu", "--no-atomic")

    def test_demo_runs_on_kms(self):
        for driver in ("bochs", "virtio-gpu"):
            r = guest(driver, UDEFIO, "demo", "--backend", "kms", "--seconds", "2")
            self.assertIn("UDEFIO-EXIT=0", r.stdout, driver)
            self.assertRegex(r.stdout, r"demo: [1-9]\d* flushes, [1-9]\d* presented")

    def test_auto_picks_kms_in_the_guest(self):
        r = guest("bochs", UDEFIO, "demo", "--seconds", "1")
        self.assertIn("UDEFIO-EXIT=0", r.stdout)
        self.assertIn("demo on kms output", r.stdout + r.stderr)

    def test_seed000_unplug_while_client_writes(self):
        """Seed 000: after the device is gone the client's mapping raises
        SIGBUS, udefio survives and leaks no fd."""
        for driver in ("bochs", "virtio-gpu"):
            r = guest(driver, UNPLUG_CHECK)
            line = next((l for l in r.stdout.splitlines() if l.startswith("UDEFIO-UNPLUG")), "")
            self.assertTrue(line, f"{driver}: unplug_check did not report")
            info = dict(kv.split("=") for kv in line.split()[1:])
            self.assertEqual(info["removed"], "1", f"{driver}: the output was not removed")
            self.assertEqual(info["client"], "42", f"{driver}: the client did not get SIGBUS")
            self.assertEqual(info["fds_before"], info["fds_after"], f"{driver}: fds leaked")
            self.assertIn("UDEFIO-EXIT=0", r.stdout, driver)

    def test_vkms_crc(self):
        """vkms has no screen to dump: its CRC says what the CRTC composed. The
        picture changes with the damage and, at the end, equals the same
        picture shown by a plain full-frame copy."""
        r = guest("vkms", KMS_CHECK)
        self.assertIn("UDEFIO-EXIT=0", r.stdout)
        line = next((l for l in r.stdout.splitlines() if l.startswith("UDEFIO-CRC")), "")
        self.assertTrue(line, "no CRC from vkms")
        crc = dict(kv.split("=") for kv in line.split()[1:])
        self.assertTrue(all(v.startswith("0x") for v in crc.values()), crc)
        self.assertNotEqual(crc["a"], crc["b"], "the damaged square did not change the composed picture")
        self.assertNotEqual(crc["b"], crc["c"], "the second square did not change the composed picture")
        self.assertEqual(crc["c"], crc["reference"], "udefio's picture differs from a full-frame copy of it")

    def test_display_unplugged_and_plugged_again(self):
        for driver in ("bochs", "virtio-gpu"):
            r = guest(driver, HOTPLUG_CHECK)
            line = next((l for l in r.stdout.splitlines() if l.startswith("UDEFIO-HOTPLUG")), "")
            self.assertIn("UDEFIO-EXIT=0", r.stdout, f"{driver}: {line}")

    def test_seat_through_libseat_or_directly(self):
        """As root libseat's builtin backend opens the card; where no seat can
        be opened, udefio opens it directly and says so."""
        udefio = "/usr/bin/" + os.path.basename(UDEFIO)
        r = guest("bochs", UDEFIO, "demo", "--backend", "kms", "--seconds", "1")
        self.assertIn("UDEFIO-EXIT=0", r.stdout)
        self.assertIn("opened through libseat", r.stdout + r.stderr)
        r = guest("bochs", "env", "LIBSEAT_BACKEND=none", udefio, "demo", "--backend", "kms", "--seconds", "1",
                  extra=[UDEFIO])
        self.assertIn("UDEFIO-EXIT=0", r.stdout)
        self.assertIn("opening the DRM device directly", r.stdout + r.stderr)

    def test_sigint_and_sigterm_restore_the_crtc(self):
        for sig in (2, 15):
            r = guest("bochs", RESTORE_CHECK, "/usr/bin/" + os.path.basename(UDEFIO), str(sig), extra=[UDEFIO])
            line = next((l for l in r.stdout.splitlines() if l.startswith("UDEFIO-RESTORE")), "")
            self.assertIn("UDEFIO-EXIT=0", r.stdout, f"signal {sig}: {line}")

    def test_bad_device_and_mode_are_clear_errors(self):
        r = guest("bochs", UDEFIO, "demo", "--backend", "kms", "--mode", "1234x567", "--seconds", "1")
        self.assertIn("UDEFIO-EXIT=1", r.stdout)
        self.assertIn("has no such mode", r.stdout + r.stderr)
        r = guest("bochs", UDEFIO, "demo", "--backend", "kms", "--device", "/dev/dri/card7", "--seconds", "1")
        self.assertIn("UDEFIO-EXIT=1", r.stdout)
        self.assertIn("/dev/dri/card7", r.stdout + r.stderr)
        # Not root, no seat: the card cannot be opened.
        r = guest("bochs", "sh", "-c", "/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups udefio demo "
                  "--backend kms --seconds 1", extra=[UDEFIO, shutil.which("setpriv")])
        self.assertIn("UDEFIO-EXIT=1", r.stdout)
        self.assertIn("permission denied", r.stdout + r.stderr)
        # A render node has no display.
        r = guest("virtio-gpu", UDEFIO, "demo", "--backend", "kms", "--device", "/dev/dri/renderD128", "--seconds", "1")
        self.assertIn("UDEFIO-EXIT=1", r.stdout)
        self.assertIn("render node", r.stdout + r.stderr)
        # A second instance while the first holds DRM master.
        script = ("udefio demo --backend kms --seconds 4 >/dev/null 2>&1 & sleep 1.5; "
                  "udefio demo --backend kms --seconds 1; rc=$?; wait; exit $rc")
        r = guest("bochs", "sh", "-c", script, extra=[UDEFIO])
        self.assertIn("UDEFIO-EXIT=1", r.stdout)
        self.assertIn("cannot become DRM master", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
