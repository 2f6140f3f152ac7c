#!/usr/bin/env python3
"""The KMS lane (tests/vm): udefio's KMS backend on the kernel's
bochs, virtio-gpu and vkms drivers in a QEMU guest. One boot per driver runs
every case in turn (the destructive ones, hotplug and unplug, last); the
tests then check each case's output. Pixels are read back from the host with
QMP screendump, on vkms through its CRC: the picture is right, a damaged
region updates, the rest stays untouched, FB_DAMAGE_CLIPS is used where the
driver offers it.

A boot of its own (bochs, with udevd and seatd) runs the input cases: uinput
devices of each kind through udefio's input layer, and a VT switch that
disables and enables the seat the KMS backend and the input layer share.

Debian's fbi runs unchanged as the kiosk's program on each driver (its
image scanned out pixel for pixel, on the screen or in vkms's CRC, the same
as fbi on the kernel's own /dev/fb0), and on bochs and virtio-gpu while the
driver is unbound under it.

  test_kms.py KMS_CHECK UNPLUG_CHECK RESTORE_CHECK HOTPLUG_CHECK FENCE_CHECK UDEFIO PLAIN_STORES CLIENT_DAMAGE
              INPUT_CHECK SEAT_CHECK FBI_CHECK CLIENT_INPUT CLIENT_INPUT_CHECK
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
KMS_CHECK, UNPLUG_CHECK, RESTORE_CHECK, HOTPLUG_CHECK, FENCE_CHECK, UDEFIO, PLAIN_STORES, CLIENT_DAMAGE, INPUT_CHECK, \
    SEAT_CHECK, FBI_CHECK, CLIENT_INPUT, CLIENT_INPUT_CHECK = (sys.argv.pop(1) for _ in range(13))
TWO_OUTPUTS = os.path.join(HERE, "two_outputs.sh")
FBI_CHECK_SH = os.path.join(HERE, "fbi_check.sh")
# Debian's fbi (package fbi), copied into the guest unchanged with its
# libraries; it will not start without a font (fontconfig's monospace).
FBI = "/usr/bin/fbi"
FBI_DATA = ["/etc/fonts", "/usr/share/fontconfig", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"]
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
# libgbm's software driver (Debian's libgl1-mesa-dri): the guest has no GPU driver Mesa knows.
MESA_DRIVER = "/usr/lib/x86_64-linux-gnu/dri/kms_swrast_dri.so"



def while_another_is_master(command):
    """`command` run while another udefio shows the demo on the card (it is DRM master once it says so)."""
    return ("udefio demo --backend kms --seconds 0 >/tmp/first.log 2>&1 & first=$!; "
            "while kill -0 $first 2>/dev/null && ! grep -q 'on kms output' /tmp/first.log; do "
            f"sleep 0.05; done; {command}; rc=$?; kill $first; wait; exit $rc")


# Not fbi-kernel on virtio-gpu: after a program had mapped the kernel's own /dev/fb0 (its DRM fbdev
# emulation, deferred I/O on shmem), unbinding the driver left the unbinding shell spinning in
# shmem_undo_range (Debian's 6.12, both times it was tried), so the unplug cases could not follow it.
# name: shell command, run in this order in one boot of each driver that lists it.
CASES = {
    "scanout": "kms_check",
    "scanout-legacy": "kms_check --no-atomic",
    "scanout-gbm": "kms_check --gbm",
    "scanout-90": "kms_check --transform 90",
    "scanout-flipped-270": "kms_check --transform flipped-270",
    "scanout-180-legacy": "kms_check --no-atomic --transform 180",
    "scanout-90-copy": "kms_check --transform 90 --no-plane-rotation",
    "blank": "kms_check --blank",
    "blank-legacy": "kms_check --no-atomic --blank",
    "gbm-missing": "env GBM_BACKENDS_PATH=/nonexistent LIBGL_DRIVERS_PATH=/nonexistent "
                   "udefio demo --backend kms --allocator gbm --seconds 1",
    "demo": "udefio demo --backend kms --seconds 2",
    "auto": "udefio demo --seconds 1",
    "libseat": "udefio demo --backend kms --seconds 1",
    "no-seat": "env LIBSEAT_BACKEND=none udefio demo --backend kms --seconds 1",
    "bad-mode": "udefio demo --backend kms --mode 1234x567 --seconds 1",
    "bad-device": "udefio demo --backend kms --device /dev/dri/card7 --seconds 1",
    "render-node": "udefio demo --backend kms --device /dev/dri/renderD128 --seconds 1",
    "non-root": "/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups udefio demo --backend kms --seconds 1",
    # A card that is there and may not be used: auto fails with why, unless --fallback headless.
    "auto-unusable": "/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups udefio demo --seconds 1",
    "auto-fallback": ("/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups "
                      "udefio demo --fallback headless --seconds 1"),
    "second-instance": while_another_is_master("udefio demo --backend kms --seconds 1"),
    "auto-master-held": while_another_is_master("udefio demo --seconds 1"),
    # Every connector forced off through sysfs (drm_sysfs's writable `status`), then back to detection.
    "auto-disconnected": ("for s in /sys/class/drm/card0-*/status; do echo off >$s; done; "
                          "cat /sys/class/drm/card0-*/status; udefio demo --seconds 1; rc=$?; "
                          "for s in /sys/class/drm/card0-*/status; do echo detect >$s; done; exit $rc"),
    "restore-sigint": "restore_check /usr/bin/udefio 2",
    "restore-sigterm": "restore_check /usr/bin/udefio 15",
    "fences": "fence_check",
    "profile": ("udefio profile --backend kms --tracker uffd-sync --seconds 2 --out /tmp/profile && "
                "echo UDEFIO-FRAMES-CSV && cat /tmp/profile/frames.csv"),
    "two-outputs": f"two_outputs.sh /usr/bin/{os.path.basename(PLAIN_STORES)} /usr/bin/{os.path.basename(CLIENT_DAMAGE)}",
    "info": "udefio info",
    # The driver loaded after udefio started, as at boot: udefio says once that it waits and finds
    # the card; `udefio info` and the demo (the backend factory) in turn.
    "wait-device": ('m=$(sed -n "s/.*udefio[.]driver=\\([^ ]*\\).*/\\1/p" /proc/cmdline); '
                    'late() { rm -f /tmp/late; rmmod $(echo $m | tr - _) || return 1; '
                    '{ "$@" >/tmp/late 2>&1; echo "UDEFIO-LATE-EXIT=$?" >>/tmp/late; } & job=$!; '
                    'while kill -0 $job 2>/dev/null && ! grep -q "waiting up to" /tmp/late 2>/dev/null; do '
                    'sleep 0.1; done; insmod /modules/$m.ko; wait; cat /tmp/late; }; '
                    'late udefio info --wait-device 50; late udefio demo --backend kms --wait-device 50 --seconds 1'),
    # Debian's fbi as the kiosk's program; the same fbi on the kernel's DRM fbdev emulation (/dev/fb0,
    # VT 2) after it; on vkms the image shown by the KMS backend itself, for its CRC (fbi_check.sh).
    "fbi": "fbi_check.sh kiosk",
    "fbi-kernel": "fbi_check.sh kernel",
    "fbi-reference": "fbi_check.sh reference",
    # The driver unbound while fbi runs on the kiosk, then bound again for the unplug case after it.
    "fbi-unplug": "fbi_check.sh unplug",
    "hotplug": "hotplug_check",
    "unplug": "unplug_check",
}
DRIVER_CASES = {
    "bochs": ["scanout", "scanout-legacy", "scanout-90", "scanout-flipped-270", "scanout-180-legacy", "blank", "blank-legacy",
              "demo", "auto", "libseat", "no-seat", "bad-mode", "bad-device", "non-root", "auto-unusable",
              "auto-fallback", "second-instance", "auto-master-held", "auto-disconnected", "restore-sigint", "restore-sigterm", "fences", "info",
              "wait-device", "fbi", "fbi-kernel", "hotplug", "fbi-unplug", "unplug"],
    "virtio-gpu": ["scanout", "scanout-legacy", "scanout-gbm", "gbm-missing", "demo", "render-node", "profile",
                   "two-outputs", "info", "wait-device", "fbi", "hotplug", "fbi-unplug", "unplug"],
    "vkms": ["scanout", "scanout-90", "scanout-90-copy", "fences", "profile", "info", "wait-device", "fbi",
             "fbi-kernel", "fbi-reference"],
}
# The input boot: udevd and seatd first (udefio-input-up, from guest.py's
# input archive), then the checks through seatd.
INPUT_DRIVER = "bochs"
INPUT_CASES = {
    "input-up": "udefio-input-up",
    "input-devices": "input_check",
    "seat-switch": "env LIBSEAT_BACKEND=seatd seat_check",
    # A protocol client as the kiosk's main program gets real devices' input, rotated (--transform 90).
    # (The kiosk gives its program a console on a pty: the guest's init mounts no devpts.)
    "client-input": ("[ -e /dev/pts/ptmx ] || { mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts "
                     "&& ln -sf pts/ptmx /dev/ptmx; }; env LIBSEAT_BACKEND=seatd client_input_check /usr/bin/udefio "
                     f"/usr/bin/{os.path.basename(CLIENT_INPUT)}"),
    # The whole session through seatd: the demo profiled across a VT switch away and back (each step
    # waits for udefio's log line of the one before); the profile names the gap. (No single quotes:
    # boot() quotes each command with them.)
    "seat-gap": ("log=/tmp/seat-gap.log; wait_for() { until grep -q \"$1\" $log; do kill -0 $p || return 1; "
                 "sleep 0.05; done; }; env LIBSEAT_BACKEND=seatd udefio profile --backend kms --seconds 600 "
                 "--out /tmp/seat-gap >$log 2>&1 & p=$!; wait_for \"first frame presented\" && chvt 2 && "
                 "wait_for \"the seat is switched away\" && chvt 1 && wait_for \"the seat is back\"; "
                 "kill -TERM $p; wait $p; rc=$?; cat $log; echo UDEFIO-SEAT-GAP-SPANS; "
                 "grep -o \"[^{}]*seat switched away[^{}]*\" /tmp/seat-gap/trace.json; exit $rc"),
}


# A case that runs longer than this (they take 1-10 s) is stuck: the guest
# prints every user task with its kernel stack, so that the log says where,
# and powers off; the boot is then retried once, like a guest gone silent.
CASE_TIMEOUT = 60
CASE_WATCHDOG = r"""stuck() {
  echo "UDEFIO-CASE-STUCK $1: still running after %d s; user tasks and their kernel stacks:"
  for p in /proc/[0-9]*; do
    readlink $p/exe >/dev/null 2>&1 || continue  # a kernel thread
    # Reading cmdline waits for the task's mmap lock: bounded, since a stuck task may hold it.
    cmd=$(timeout -s KILL 2 tr '\0\n' '  ' < $p/cmdline 2>/dev/null | cut -c1-100)
    echo "-- pid ${p#/proc/}: $(cat $p/comm) ${cmd:-(cmdline unreadable)}"
    for t in $p/task/*; do
      echo "   task ${t##*/} $(cat $t/comm) state $(cut -d' ' -f3 $t/stat) wchan $(cat $t/wchan)"
      sed 's/^/      /' $t/stack
    done
  done
  poweroff -f
}""" % CASE_TIMEOUT


def boot(driver, cases, screendump_dir, with_input=False):
    """Runs `cases` ({name: command}) in one boot of `driver`; returns {case: (exit code, output)}."""
    lines = [CASE_WATCHDOG,
             'run() { name=$1; shift; echo "UDEFIO-CASE-BEGIN $name"; (sleep %d; stuck $name) & dog=$!; '
             'sh -c "$*" 2>&1; rc=$?; kill $dog 2>/dev/null; echo "UDEFIO-CASE-END $name $rc"; }' % CASE_TIMEOUT]
    for case, command in cases.items():
        lines.append(f"run {case} '{command}'")
    script = "\n".join(lines)
    os.makedirs(screendump_dir, exist_ok=True)
    cmd = [sys.executable, os.path.join(HERE, "guest.py"), "run", driver, "--screendump-dir", screendump_dir]
    if driver == "virtio-gpu":
        cmd += ["--heads", "2"]  # Virtual-2 stays disconnected unless a case forces it on
    for binary in (KMS_CHECK, UNPLUG_CHECK, RESTORE_CHECK, HOTPLUG_CHECK, FENCE_CHECK, UDEFIO, SETPRIV,
                   PLAIN_STORES, CLIENT_DAMAGE, TWO_OUTPUTS, FBI_CHECK, FBI_CHECK_SH):
        cmd += ["--with", binary]
    if any(case.startswith("fbi") for case in cases):
        cmd += ["--with", FBI] + [a for path in FBI_DATA for a in ("--data", path)]
    if with_input:
        cmd += ["--input", "--with", INPUT_CHECK, "--with", SEAT_CHECK, "--with", CLIENT_INPUT, "--with",
                CLIENT_INPUT_CHECK]
    if any(case.startswith("scanout-gbm") for case in cases):
        cmd += ["--lib", MESA_DRIVER]
    r = subprocess.run(cmd + ["sh", "-c", script], capture_output=True, text=True, timeout=900)
    print(f"===== {driver} =====\n{r.stdout[-20000:]}\n{r.stderr[-3000:]}", flush=True)
    if "was still running" in r.stderr or "UDEFIO-CASE-STUCK" in r.stdout:
        # A TCG guest that went silent or a case that hung (seen about once in
        # 30 boots; its console, with the stuck tasks' kernel stacks, is
        # above): boot it once more rather than lose the lane, and say so.
        print(f"===== {driver}: the guest or a case hung; booting it again =====", flush=True)
        r = subprocess.run(cmd + ["sh", "-c", script], capture_output=True, text=True, timeout=900)
        print(f"===== {driver} (second boot) =====\n{r.stdout[-20000:]}\n{r.stderr[-3000:]}", flush=True)
    results, name, output = {}, None, []
    for line in r.stdout.splitlines():
        if line.startswith("UDEFIO-CASE-BEGIN "):
            name, output = line.split()[1], []
        elif line.startswith("UDEFIO-CASE-END ") and name:
            results[name] = (int(line.split()[2]), "\n".join(output))
            name = None
        elif name:
            output.append(line)
    return results


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
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


def fbi_image(x, y, w, h):
    """A pixel of fbi_check.cpp's test_image: three flat areas and a gradient."""
    if y < h // 2:
        return b"\xff\x20\x10" if x < w // 2 else b"\x10\xe0\x40"
    if x < w // 2:
        return b"\x20\x30\xff"
    return bytes((x * 255 // w, y * 255 // h, 0x80))


def in_square(x, y):
    return SQUARE[0] <= x < SQUARE[0] + SQUARE[2] and SQUARE[1] <= y < SQUARE[1] + SQUARE[3]


def report(output, tag):
    line = next((l for l in output.splitlines() if l.startswith(tag)), "")
    return dict(kv.split("=") for kv in line.split()[1:])


@unittest.skipUnless(shutil.which("qemu-system-x86_64"), "qemu-system-x86_64 is not installed "
                     "(tools/bootstrap.sh test installs it)")
class KmsLane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if subprocess.run([sys.executable, os.path.join(HERE, "guest.py"), "prepare"]).returncode != 0:
            raise unittest.SkipTest("the guest could not be prepared")
        cls.dumps = tempfile.mkdtemp()
        cls.results = {driver: boot(driver, {c: CASES[c] for c in cases}, os.path.join(cls.dumps, driver))
                       for driver, cases in DRIVER_CASES.items()}
        cls.results["input"] = boot(INPUT_DRIVER, INPUT_CASES, os.path.join(cls.dumps, "input"), with_input=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dumps, ignore_errors=True)

    def case(self, driver, name):
        self.assertIn(name, self.results[driver], f"{driver}: case {name} did not run")
        return self.results[driver][name]

    def check_scanout(self, driver, name, suffix):
        rc, output = self.case(driver, name)
        self.assertEqual(rc, 0, output)
        info = report(output, "UDEFIO-KMS")
        dumps = os.path.join(self.dumps, driver)
        w, h, a = read_ppm(os.path.join(dumps, f"a{suffix}.ppm"))
        self.assertEqual((w, h), (int(info["width"]), int(info["height"])))
        wrong = sum(1 for y in range(0, h, 3) for x in range(0, w, 3)
                    if a[(y * w + x) * 3:(y * w + x) * 3 + 3] != pattern(x, y))
        self.assertEqual(wrong, 0, "pixels of the full-screen pattern wrong on the screen")
        _, _, b = read_ppm(os.path.join(dumps, f"b{suffix}.ppm"))
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

    def check_out_fences(self, info):
        """Atomic commits ask for OUT_FENCE_PTR; each fence has signalled by its
        flip; a client's fence goes to the next commit as IN_FENCE_FD (and the
        picture checked after it is still right)."""
        self.assertGreater(int(info["out_fences"]), 0, "no OUT_FENCE_PTR fence from an atomic commit")
        self.assertGreaterEqual(int(info["out_fences"]), int(info["flips"]))  # one may still be in flight
        self.assertEqual(info["fences_signalled"], info["flips"], "a flip arrived before its fence signalled")
        self.assertEqual(info["in_fences"], "1", "the commit with a client's fence did not pass IN_FENCE_FD")

    def test_bochs_atomic(self):
        info = self.check_scanout("bochs", "scanout", "")
        self.assertEqual(info["damage_clips_supported"], "0")  # bochs has no FB_DAMAGE_CLIPS (PLATFORM.md)
        self.check_out_fences(info)
        # Its flips complete at once: no vblank grid to aim at (PLATFORM.md).
        self.assertEqual(info["vblank_timed"], "0")

    def check_turned(self, driver, name, transform, suffix):
        """The pattern drawn into the upright frame is on the panel turned as
        wl_output_transform says (wlroots' wlr_box_transform, written out)."""
        rc, output = self.case(driver, name)
        self.assertEqual(rc, 0, output)
        info = report(output, "UDEFIO-KMS-TURNED")
        w, h, a = read_ppm(os.path.join(self.dumps, driver, f"a-{transform}{suffix}.ppm"))
        self.assertEqual(info["panel"], f"{w}x{h}")
        fw, fh = (int(v) for v in info["frame"].split("x"))
        self.assertEqual((fw, fh), (h, w) if transform in ("90", "270", "flipped-90", "flipped-270") else (w, h))
        to_logical = {
            "normal": lambda x, y: (x, y), "90": lambda x, y: (h - 1 - y, x),
            "180": lambda x, y: (w - 1 - x, h - 1 - y), "270": lambda x, y: (y, w - 1 - x),
            "flipped": lambda x, y: (w - 1 - x, y), "flipped-90": lambda x, y: (y, x),
            "flipped-180": lambda x, y: (x, h - 1 - y), "flipped-270": lambda x, y: (h - 1 - y, w - 1 - x),
        }[transform]
        wrong = sum(1 for y in range(0, h, 3) for x in range(0, w, 3)
                    if a[(y * w + x) * 3:(y * w + x) * 3 + 3] != pattern(*to_logical(x, y)))
        self.assertEqual(wrong, 0, f"panel pixels wrong, turned {transform} by the {info['by']}")
        return info

    def test_bochs_turned_by_the_copy(self):
        """bochs' plane has no rotation property: the flush copy turns the frame."""
        for name, transform, suffix in (("scanout-90", "90", ""), ("scanout-flipped-270", "flipped-270", ""),
                                        ("scanout-180-legacy", "180", "")):
            with self.subTest(name):
                info = self.check_turned("bochs", name, transform, suffix)
                self.assertEqual(info["by"], "copy")

    def test_vkms_turned_by_the_plane_or_the_copy_shows_the_same(self):
        """vkms composes the CRTC's CRC from what it scans out: turned by the
        plane's rotation (where it offers it) or by the flush copy, the panel
        must show the same picture."""
        results = {}
        for name in ("scanout-90", "scanout-90-copy"):
            rc, output = self.case("vkms", name)
            self.assertEqual(rc, 0, output)
            results[name] = report(output, "UDEFIO-KMS-TURNED")
        self.assertEqual(results["scanout-90-copy"]["by"], "copy")
        print(f"vkms: --transform 90 is done by the {results['scanout-90']['by']}", flush=True)
        self.assertTrue(all(r["crc"].startswith("0x") for r in results.values()), results)
        self.assertEqual(results["scanout-90"]["crc"], results["scanout-90-copy"]["crc"],
                         f"turned by the {results['scanout-90']['by']} and by the copy, vkms saw different pictures")

    def test_bochs_blanked_and_on_again(self):
        """Output::set_blanked (--blank-after): CRTC ACTIVE 0 in an atomic
        commit, the connector's DPMS off on legacy; nothing is committed while
        off; drawing switches it on with the new picture. Output::hold_blanked
        (FBIOBLANK): drawing keeps it off; released, it shows what was drawn."""
        for name, prop, suffix in (("blank", "ACTIVE", "-blank"), ("blank-legacy", "DPMS", "-blank-legacy")):
            with self.subTest(name):
                rc, output = self.case("bochs", name)
                self.assertEqual(rc, 0, output)
                line = next(l for l in output.splitlines() if l.startswith("UDEFIO-KMS-BLANK"))
                info = dict(kv.split("=") for kv in line.split()[2:])
                on, off = ("1", "0") if prop == "ACTIVE" else ("0", "3")  # DRM_MODE_DPMS_ON, _OFF
                self.assertEqual((info["before"], info["off"], info["on"]), (on, off, on), line)
                self.assertEqual(info["commits_while_off"], "0", line)
                self.assertNotEqual(info["commits_after"], "0", line)
                self.assertEqual(info["blanked_after_draw"], "0", line)
                w, h, b = read_ppm(os.path.join(self.dumps, "bochs", f"on{suffix}.ppm"))
                red = b"\xff\x00\x00"
                self.assertEqual(sum(1 for y in range(SQUARE[1], SQUARE[1] + SQUARE[3])
                                     for x in range(SQUARE[0], SQUARE[0] + SQUARE[2])
                                     if b[(y * w + x) * 3:(y * w + x) * 3 + 3] != red), 0,
                                 "the square drawn while off is not on screen after it came on")
                # hold_blanked (FBIOBLANK): drawing keeps it off; released, it shows what was drawn.
                line = next(l for l in output.splitlines() if l.startswith("UDEFIO-KMS-HOLD"))
                info = dict(kv.split("=") for kv in line.split()[2:])
                self.assertEqual((info["held"], info["flushed"], info["after_draw"], info["released"]),
                                 (off, "1", off, on), line)
                self.assertEqual(info["commits_while_held"], "0", line)
                w, h, b = read_ppm(os.path.join(self.dumps, "bochs", f"released{suffix}.ppm"))
                green = b"\x00\xff\x00"
                self.assertEqual(sum(1 for y in range(SQUARE[1], SQUARE[1] + SQUARE[3])
                                     for x in range(SQUARE[0] + 100, SQUARE[0] + 100 + SQUARE[2])
                                     if b[(y * w + x) * 3:(y * w + x) * 3 + 3] != green), 0,
                                 "the square drawn while held off is not on screen after it came on")

    def test_bochs_legacy(self):
        self.check_scanout("bochs", "scanout-legacy", "-legacy")

    def test_virtio_gpu_atomic_uses_damage_clips(self):
        info = self.check_scanout("virtio-gpu", "scanout", "")
        self.check_out_fences(info)
        self.assertEqual(info["damage_clips_supported"], "1")
        self.assertGreater(int(info["clips"]), 0, "FB_DAMAGE_CLIPS offered but not used")

    def test_virtio_gpu_gbm_allocator(self):
        """--allocator gbm: Mesa's kms_swrast gives scanout buffers, the
        picture is right pixel for pixel; without a Mesa driver udefio says
        why and falls back to dumb buffers."""
        info = self.check_scanout("virtio-gpu", "scanout-gbm", "-gbm")
        self.assertTrue(info["allocator"].startswith("gbm"), info)
        rc, output = self.case("virtio-gpu", "gbm-missing")
        self.assertEqual(rc, 0, output)
        self.assertIn("GBM allocation not possible here", output)
        self.assertIn("dumb buffers", output)

    def test_virtio_gpu_legacy(self):
        self.check_scanout("virtio-gpu", "scanout-legacy", "-legacy")

    def test_vkms_crc(self):
        """vkms has no screen to dump: its CRC says what the CRTC composed. The
        picture changes with the damage and, at the end, equals the same
        picture shown by a plain full-frame copy."""
        rc, output = self.case("vkms", "scanout")
        self.assertEqual(rc, 0, output)
        # vkms has a real vblank: flushes aim at it, and every commit flipped.
        info = report(output, "UDEFIO-KMS")
        self.assertEqual(info["vblank_timed"], "1", output)
        self.assertGreaterEqual(int(info["commits"]), 3)
        self.assertGreaterEqual(int(info["flips"]) + 1, int(info["commits"]), "commits without a flip")
        crc = report(output, "UDEFIO-CRC")
        self.assertTrue(crc and all(v.startswith("0x") for v in crc.values()), output)
        self.assertNotEqual(crc["a"], crc["b"], "the damaged square did not change the composed picture")
        self.assertNotEqual(crc["b"], crc["c"], "the second square did not change the composed picture")
        self.assertEqual(crc["c"], crc["reference"], "udefio's picture differs from a full-frame copy of it")

    def test_demo_runs_on_kms(self):
        for driver in ("bochs", "virtio-gpu"):
            rc, output = self.case(driver, "demo")
            self.assertEqual(rc, 0, output)
            self.assertRegex(output, r"demo: [1-9]\d* flushes, [1-9]\d* presented")

    def test_auto_picks_kms_in_the_guest(self):
        rc, output = self.case("bochs", "auto")
        self.assertEqual(rc, 0, output)
        self.assertIn("demo on kms output", output)

    def test_seat_through_libseat_or_directly(self):
        """As root libseat's builtin backend opens the card; where no seat can
        be opened, udefio opens it directly and says so."""
        rc, output = self.case("bochs", "libseat")
        self.assertEqual(rc, 0, output)
        self.assertIn("opened through libseat", output)
        rc, output = self.case("bochs", "no-seat")
        self.assertEqual(rc, 0, output)
        self.assertIn("opening the DRM device directly", output)

    def test_bad_input_is_a_clear_error(self):
        expected = [("bochs", "bad-mode", "has no such mode"), ("bochs", "bad-device", "/dev/dri/card7"),
                    ("virtio-gpu", "render-node", "render node"), ("bochs", "non-root", "permission denied"),
                    ("bochs", "second-instance", "cannot become DRM master")]
        for driver, name, message in expected:
            rc, output = self.case(driver, name)
            self.assertEqual(rc, 1, f"{name}: {output}")
            self.assertIn(message, output, name)
            self.assertNotIn("Segmentation", output, name)

    def test_auto_fails_on_a_display_it_may_not_use(self):
        """A DRM card that is there and cannot be used (permission, another's master, nothing connected):
        --backend auto fails with why, unless --fallback headless."""
        rc, output = self.case("bochs", "auto-unusable")
        self.assertEqual(rc, 1, output)
        self.assertIn("backend kms: a display is there but cannot be used", output)
        self.assertIn("permission denied", output.lower())
        self.assertNotIn("output headless-0", output)
        rc, output = self.case("bochs", "auto-fallback")
        self.assertEqual(rc, 0, output)
        self.assertIn("trying the next (--fallback headless)", output)
        self.assertIn("running on the headless output instead", output)
        # A card whose master another holds is there and unusable too.
        rc, output = self.case("bochs", "auto-master-held")
        self.assertEqual(rc, 1, output)
        self.assertIn("backend kms: a display is there but cannot be used", output)
        self.assertIn("cannot become DRM master", output)
        self.assertNotIn("output headless-0", output)
        # A card with nothing connected is there and unusable too.
        rc, output = self.case("bochs", "auto-disconnected")
        self.assertIn("disconnected", output)  # the connectors' status, forced
        self.assertEqual(rc, 1, output)
        self.assertIn("backend kms: a display is there but cannot be used", output)
        self.assertIn("no connected connector", output)
        self.assertNotIn("output headless-0", output)

    def test_sigint_and_sigterm_restore_the_crtc(self):
        for name in ("restore-sigint", "restore-sigterm"):
            rc, output = self.case("bochs", name)
            self.assertEqual(rc, 0, f"{name}: {output}")

    def test_display_unplugged_and_plugged_again(self):
        for driver in ("bochs", "virtio-gpu"):
            rc, output = self.case(driver, "hotplug")
            self.assertEqual(rc, 0, f"{driver}: {output}")

    def test_unplug_while_client_writes(self):
        """"fbdev: defio: Protect against device/module removal": after the device is gone the client's mapping raises
        SIGBUS, udefio survives and leaks no fd."""
        for driver in ("bochs", "virtio-gpu"):
            rc, output = self.case(driver, "unplug")
            info = report(output, "UDEFIO-UNPLUG")
            self.assertTrue(info, f"{driver}: unplug_check did not report\n{output}")
            self.assertEqual(info["removed"], "1", f"{driver}: the output was not removed")
            self.assertEqual(info["client"], "42", f"{driver}: the client did not get SIGBUS")
            self.assertEqual(info["fds_before"], info["fds_after"], f"{driver}: fds leaked")
            self.assertEqual(rc, 0, output)

    def fbi_shown(self, driver, name):
        """The case's UDEFIO-FBI-SHOWN report: the CRTC scanned out exactly the image."""
        rc, output = self.case(driver, name)
        self.assertEqual(rc, 0, f"{driver}: {name}: {output}")
        info = report(output, "UDEFIO-FBI-SHOWN")
        self.assertEqual(info.get("match"), "1", f"{driver}: {name}: the image was not scanned out\n{output}")
        return info, output

    def check_fbi_screendump(self, driver, dump, size):
        w, h, a = read_ppm(os.path.join(self.dumps, driver, dump))
        self.assertEqual(f"{w}x{h}", size, f"{driver}: {dump}")
        wrong = sum(1 for y in range(0, h, 2) for x in range(0, w, 2)
                    if a[(y * w + x) * 3:(y * w + x) * 3 + 3] != fbi_image(x, y, w, h))
        self.assertEqual(wrong, 0, f"{driver}: {dump}: pixels of fbi's image wrong on the screen")

    def test_fbi_on_kms(self):
        """Debian's fbi, unchanged, as the kiosk's program (`udefio kiosk -- fbi -a IMAGE`): its image (the
        mode's size, so -a keeps the scale at 1) is what the CRTC scans out, pixel for pixel, and what the
        screen shows (screendump) or vkms composes (CRC, equal to the image shown by the KMS backend itself);
        the same as fbi shows on the kernel's own /dev/fb0 in the same boot (bochs, vkms)."""
        for driver in DRIVER_CASES:
            with self.subTest(driver):
                info, output = self.fbi_shown(driver, "fbi")
                self.assertIn("started fbi", output)
                self.assertIn("UDEFIO-FBI-KIOSK exit=0", output)
                self.assertNotIn("shadow", output, f"{driver}: fbi's stores were not found in its page tables")
                kernel = None
                if "fbi-kernel" in DRIVER_CASES[driver]:
                    kernel, _ = self.fbi_shown(driver, "fbi-kernel")
                    self.assertEqual(kernel["size"], info["size"])
                print(f"{driver}: fbi's image scanned out after {info['after']} s on udefio"
                      + (f", {kernel['after']} s on the kernel's /dev/fb0" if kernel else ""), flush=True)
                if driver == "vkms":
                    rc, ref_output = self.case(driver, "fbi-reference")
                    self.assertEqual(rc, 0, ref_output)
                    reference = report(ref_output, "UDEFIO-FBI-REFERENCE")["crc"]
                    self.assertTrue(reference.startswith("0x"), ref_output)
                    self.assertEqual(info["crc"], reference, "fbi on udefio: vkms composed another picture")
                    self.assertEqual(kernel["crc"], reference, "fbi on the kernel's fb0: vkms composed another picture")
                else:
                    self.check_fbi_screendump(driver, "fbi-kiosk.ppm", info["size"])
                    if kernel:
                        self.check_fbi_screendump(driver, "fbi-kernel.ppm", info["size"])

    def test_fbi_unplugged(self):
        """The driver unbound while fbi (showing its image again every second) runs on the kiosk as deployed
        (--restart always): the output goes away, and with it the KMS backend's only card, so the session
        ends as the design says: udefio ends fbi and exits 1 with why, no crash, no fbi left behind. (fbi
        gets SIGBUS if its next store comes before udefio ends it, else udefio's SIGTERM.)"""
        for driver in ("bochs", "virtio-gpu"):
            with self.subTest(driver):
                rc, output = self.case(driver, "fbi-unplug")
                self.assertEqual(rc, 0, f"{driver}: {output}")
                info = report(output, "UDEFIO-FBI-UNPLUG")
                self.assertTrue(info, f"{driver}: no report\n{output}")
                self.assertIn("output Virtual-1 went away: its leases are revoked", output)
                self.assertIn("fbi stopped: the kms backend is gone", output)
                self.assertEqual(info["exit"], "1", f"{driver}: udefio did not end with an error exit\n{output}")
                self.assertEqual(info["fbi_left"], "none", f"{driver}: fbi still runs")
                self.assertNotIn("Segmentation", output)
                print(f"{driver}: fbi after the unplug: {'SIGBUS' if info['fbi_sigbus'] == '1' else 'ended by udefio'}",
                      flush=True)

    def test_two_outputs_show_two_programs_and_one_unplugged_keeps_the_other(self):
        """virtio-gpu with two heads: the main program on Virtual-1 and a
        protocol client on Virtual-2, each on its own head; Virtual-2
        unplugged, the kiosk keeps running and the client draws on Virtual-1."""
        rc, output = self.case("virtio-gpu", "two-outputs")
        self.assertEqual(rc, 0, output)
        self.assertIn("UDEFIO-TWO-OUTPUTS exit=0", output)
        dumps = os.path.join(self.dumps, "virtio-gpu")
        ground, plain_square, client_square = b"\x20\x28\x30", b"\xf0\xa0\x20", b"\xe0\xa0\x20"

        def count(path, colour):
            w, h, pixels = read_ppm(os.path.join(dumps, path))
            return sum(1 for i in range(0, w * h * 3, 3) if pixels[i:i + 3] == colour), w * h

        head0_ground, head0_size = count("two-a.ppm", ground)
        self.assertGreater(head0_ground, head0_size // 2, "the main program is not on head 0")
        self.assertEqual(count("two-a.ppm", client_square)[0], 0, "the client is on head 0 before the unplug")
        self.assertGreater(count("two-a-1.ppm", client_square)[0], 0, "the client is not on head 1")
        self.assertEqual(count("two-a-1.ppm", ground)[0], 0, "the main program is on head 1")
        self.assertIn("output Virtual-2 went away", output)
        # After the unplug the client leased Virtual-1's lower half and draws there.
        self.assertGreater(count("two-b.ppm", client_square)[0], 0, "the client did not move to head 0")
        self.assertGreater(count("two-b.ppm", plain_square)[0], 0, "the main program stopped showing")

    def test_kernel_fences(self):
        """"dma-fence: Fix races of fence callbacks versus destructors by locking" on real sync_files (sw_sync): a fence is waited for in the
        event loop and carries the kernel's timestamp; a client's fence holds
        the KMS commit (IN_FENCE_FD) until it signals."""
        for driver in ("bochs", "vkms"):
            rc, output = self.case(driver, "fences")
            self.assertEqual(rc, 0, f"{driver}: {output}")
            self.assertIn("fence_check: ok", output, driver)

    # What each driver offers (PLATFORM.md): FB_DAMAGE_CLIPS on virtio-gpu only (6.12); GBM where the
    # boot has Mesa's kms_swrast (the virtio-gpu boot, for scanout-gbm).
    INFO = {"bochs": ("bochs-drm", "no", False), "virtio-gpu": ("virtio_gpu", "yes", True),
            "vkms": ("vkms", "no", False)}

    def check_info(self, driver, output):
        name, damage_clips, gbm = self.INFO[driver]
        self.assertRegex(output, rf"/dev/dri/card0: driver {name} \d+\.\d+\.\d+ ")
        self.assertIn("DRM master: free", output)
        self.assertIn("capabilities: dumb buffers yes, atomic modesetting yes", output)
        self.assertIn("dumb buffers: work (dumb,", output)
        self.assertRegex(output, r"GBM: work \(gbm \(" if gbm else r"GBM: no: ")
        self.assertRegex(output, r"connector \d+ [\w-]+: connected, [1-9]\d* modes?: \d+x\d+@\d+")
        self.assertIn("(preferred)", output)
        self.assertRegex(output, r"crtc \d+ \(index 0\): (active \d+x\d+@\d+|inactive), OUT_FENCE_PTR yes")
        self.assertRegex(output, rf"plane \d+ primary, crtcs 0x\d+: XRGB8888 yes, FB_DAMAGE_CLIPS {damage_clips}, "
                                 r"IN_FENCE_FD yes")

    def test_info_shows_every_drm_device(self):
        """`udefio info` as drm_info: the driver, its connectors and modes, CRTCs and planes with the
        properties udefio uses, whether DRM master is free, whether dumb buffers and GBM work."""
        for driver in DRIVER_CASES:
            rc, output = self.case(driver, "info")
            self.assertEqual(rc, 0, f"{driver}: {output}")
            self.check_info(driver, output)

    def test_wait_device_finds_a_driver_loaded_late(self):
        """--wait-device: the driver module is loaded after udefio started; udefio says once that it
        waits, sees the card through udev and goes on: `udefio info`, then the demo on KMS."""
        for driver in DRIVER_CASES:
            rc, output = self.case(driver, "wait-device")
            self.assertEqual(rc, 0, f"{driver}: {output}")
            self.assertEqual(output.count("UDEFIO-LATE-EXIT=0"), 2, f"{driver}: {output}")
            self.assertEqual(output.count("waiting up to 50 s for one to appear (--wait-device)"), 2, output)
            self.assertEqual(len(re.findall(r"display device /dev/dri/card0 is there after [\d.]+ s", output)), 2,
                             output)
            self.check_info(driver, output)
            self.assertRegex(output, r"demo: [1-9]\d* flushes, [1-9]\d* presented")

    def test_profile_on_kms(self):
        """Profiling on a real driver: every frame is committed, its
        OUT_FENCE_PTR fence signals and its page flip presents it, in order."""
        for driver in ("vkms", "virtio-gpu"):
            rc, output = self.case(driver, "profile")
            self.assertEqual(rc, 0, f"{driver}: {output}")
            self.assertIn("write -> present", output)
            rows = list(csv.DictReader(output.split("UDEFIO-FRAMES-CSV\n", 1)[1].splitlines()))
            self.assertGreater(len(rows), 10, f"{driver}: {output[-2000:]}")
            presented = [r for r in rows if int(r["presented_ns"])]
            self.assertGreater(len(presented), len(rows) * 0.9, driver)
            for r in presented:
                committed, fence, shown = (int(r[k]) for k in ("committed_ns", "fence_signalled_ns", "presented_ns"))
                self.assertGreater(committed, 0, r)
                self.assertGreaterEqual(shown, committed, r)
                self.assertGreaterEqual(fence, committed, f"{driver}: a fence signalled before its commit: {r}")

    def test_input_devices(self):
        """uinput devices made while udefio's input layer runs (libinput
        through seatd, udevd tagging them): keys as text and tty bytes,
        key repeat, a storm of the kernel's repeats, 500 taps; the mouse,
        the absolute tablet and 10 touch points, mapped for each of the 8
        transforms; a keyboard and a touch screen removed mid-event."""
        rc, output = self.case("input", "input-up")
        self.assertEqual(rc, 0, output)
        rc, output = self.case("input", "input-devices")
        self.assertEqual(rc, 0, output)
        for kind in ("keyboard", "mouse", "tablet", "touch"):
            self.assertIn(f"input_check: {kind} ok", output)
        self.assertIn("input_check: ok", output)

    def test_seat_switch(self):
        """A VT switch away and back through seatd: the seat shared by the
        KMS backend and the input layer is disabled (DRM master dropped,
        input devices closed, keys typed then lost) and enabled again
        (master back, the keyboard types)."""
        rc, output = self.case("input", "seat-switch")
        self.assertEqual(rc, 0, output)
        self.assertIn("seat_check: ok", output)
        self.assertIn("seat seat0 disabled", output)
        self.assertIn("seat seat0 enabled again", output)
        # The frame drawn while away (grey, a red square) is on screen after enable.
        w, h, a = read_ppm(os.path.join(self.dumps, "input", "seat-after-enable.ppm"))
        red, grey = b"\xff\x00\x00", b"\x40\x40\x40"
        wrong = sum(1 for y in range(0, h, 2) for x in range(0, w, 2)
                    if a[(y * w + x) * 3:(y * w + x) * 3 + 3] != (red if in_square(x, y) else grey))
        self.assertEqual(wrong, 0, "after enable the screen does not show the frame drawn while away")

    def test_input_reaches_a_protocol_client(self):
        """`udefio kiosk --transform 90` with tools/examples/client_input.c as its program: a uinput
        keyboard, touch screen and tablet made while it runs reach the client (it has the input focus
        from its first surface), the key with its text, touch and pointer at the rotated place."""
        rc, output = self.case("input", "client-input")
        self.assertEqual(rc, 0, output)
        self.assertIn("client_input_check: ok", output)
        # The software cursor where the tablet put it: the arrow's tip at logical (x, y) of the frame
        # turned 90, i.e. panel (y, height - 1 - x). Its pixels: row 10 column 1 white, row 15 column 0
        # black, row 17 column 3 the client's grey showing through.
        tip = re.search(r"UDEFIO-CURSOR tip=(\d+),(\d+) logical=(\d+)x(\d+)", output)
        self.assertTrue(tip, output)
        x, y, logical_w, _ = (int(v) for v in tip.groups())
        w, h, a = read_ppm(os.path.join(self.dumps, "input", "client-cursor.ppm"))
        self.assertEqual(h, logical_w, "the panel is the frame turned 90")

        def at(col, row):  # the arrow's pixel (col, row) from its tip, on the panel
            px, py = y + row, h - 1 - (x + col)
            return a[(py * w + px) * 3:(py * w + px) * 3 + 3]
        self.assertEqual(at(1, 10), b"\xff\xff\xff", "no white arrow fill where the cursor is")
        self.assertEqual(at(0, 15), b"\x00\x00\x00", "no black arrow outline where the cursor is")
        self.assertEqual(at(3, 17), b"\x20\x20\x20", "the arrow covers what it should not")

    def test_seat_switch_is_a_gap_in_the_profile(self):
        """`udefio profile` across a real VT switch: the summary names the time the seat was away and the
        trace has the gap on its own track."""
        rc, output = self.case("input", "seat-gap")
        self.assertEqual(rc, 0, output)
        gap = re.search(r"output gap +seat switched away for (\d+\.\d+) s", output)
        self.assertTrue(gap, output)
        self.assertGreater(float(gap.group(1)), 0)
        self.assertRegex(output, r"across a gap +\d+ frames")
        spans = [json.loads("{" + line + "}") for line in output.split("UDEFIO-SEAT-GAP-SPANS", 1)[1].splitlines()
                 if '"name":"seat switched away"' in line]
        self.assertEqual(len(spans), 1, output[-3000:])
        self.assertEqual(spans[0]["ph"], "X")
        self.assertGreater(spans[0]["dur"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
