#!/usr/bin/env python3
"""The KMS lane's QEMU guest: a Debian kernel, the DRM driver under test and
our binaries in a small initramfs, booted with TCG (no KVM needed).

  guest.py prepare                   build the cache (kernel, modules, busybox)
  guest.py run DRIVER [--heads N] [--screendump-dir DIR] [--with BINARY] [--lib LIBRARY] [--data PATH]
               [--input] PROGRAM [ARGS...]
                                     boot with DRIVER (bochs, virtio-gpu), run
                                     PROGRAM there, exit with its exit code;
                                     --input adds udevd and seatd (started by
                                     /bin/udefio-input-up) for input checks

The cache lives outside the source tree (UDEFIO_VM_CACHE, default
~/.cache/udefio-vm) and is rebuilt when missing: CI starts from a clean clone.

A guest program can ask the host for a screendump of the display by printing
a line `UDEFIO-SCREENDUMP <name> [HEAD]` on the console and reading one line
back: the host writes <name>.ppm into --screendump-dir (QMP screendump of that
head, default 0) and answers `done`. `--heads 2` gives virtio-gpu two outputs
(connectors Virtual-1 and Virtual-2).
"""
import argparse
import glob
import gzip
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

KERNEL_PACKAGE_PREFIX = "linux-image-6.12."
KERNEL_PACKAGE_SUFFIX = "+deb12-amd64-unsigned"
DRIVERS = {
    # driver: (module path below kernel/, qemu display device)
    "bochs": ("drivers/gpu/drm/tiny/bochs.ko.xz", ["-device", "VGA"]),
    "virtio-gpu": ("drivers/gpu/drm/virtio/virtio-gpu.ko.xz", ["-device", "virtio-gpu-pci"]),
    # Debian does not build vkms: prepare() builds it from linux-source (PLATFORM.md).
    "vkms": ("drivers/gpu/drm/vkms/vkms.ko", []),
}
# Loaded in every boot after the driver: uinput (the input checks make
# their devices with it) and evdev (the /dev/input/event* nodes libinput reads).
INPUT_MODULES = ["drivers/input/misc/uinput.ko.xz", "drivers/input/evdev.ko.xz"]
# What the input checks need besides our binaries (PLATFORM.md): udevd, since
# libinput uses only devices udev tagged (ID_INPUT_*), with the rules that
# tag input devices and libinput's helpers for them; seatd, which opens the
# devices for its clients and takes them away on a VT switch; the xkb data
# xkbcommon compiles keymaps from; libinput's quirks.
INPUT_BINARIES = {"/usr/bin/udevadm": "/usr/bin/udevadm", "/usr/sbin/seatd": "/usr/sbin/seatd",
                  "/lib/udev/libinput-device-group": None, "/lib/udev/libinput-fuzz-extract": None,
                  "/lib/udev/libinput-fuzz-to-zero": None}
INPUT_RULES = ["50-udev-default.rules", "60-input-id.rules", "60-persistent-input.rules", "70-mouse.rules",
               "70-touchpad.rules", "80-libinput-device-groups.rules", "90-libinput-fuzz-override.rules"]
INPUT_DATA = ["/usr/share/X11/xkb", "/usr/share/libinput"]
# The groups udev's rules name (else it logs each unknown one).
ETC_GROUP = "".join(f"{g}:x:{i}:\n" for g, i in [("root", 0), ("tty", 5), ("disk", 6), ("lp", 7), ("kmem", 15),
                                                  ("dialout", 20), ("cdrom", 24), ("tape", 26), ("audio", 29),
                                                  ("video", 44), ("input", 104), ("kvm", 105), ("render", 106),
                                                  ("sgx", 107)])
# Starts udevd and seatd for the input cases; the shell waits for seatd's
# readiness line (seatd -n) and for udev to have processed every device.
INPUT_UP = r"""#!/bin/sh
mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon --resolve-names=never || { echo "udefio-input-up: udevd did not start"; exit 1; }
udevadm trigger --action=add --subsystem-match=input
udevadm settle --timeout=60
rm -f /tmp/seatd.ready && mkfifo /tmp/seatd.ready
seatd -l info -n 3 3>/tmp/seatd.ready >/tmp/seatd.log 2>&1 &
read ready < /tmp/seatd.ready
[ -S /run/seatd.sock ] || { echo "udefio-input-up: seatd did not start"; cat /tmp/seatd.log; exit 1; }
echo "udefio-input-up: udevd and seatd running"
"""
# A guest that prints nothing for this long has hung (a case prints at least
# every few seconds; test_kms.py's per-case watchdog reports a stuck case
# after 60 s, before this). Time, not silence, ends a boot only after
# BOOT_LIMIT: a driver's cases take 15-45 s under TCG, several times that
# when the host is busy with the other test lanes.
SILENCE_TIMEOUT = 90
BOOT_LIMIT = 600


def cache_dir():
    return os.environ.get("UDEFIO_VM_CACHE", os.path.expanduser("~/.cache/udefio-vm"))


def log(message):
    print(f"guest: {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


def newest_kernel_package():
    out = subprocess.run(["apt-cache", "pkgnames", KERNEL_PACKAGE_PREFIX], capture_output=True, text=True).stdout
    names = sorted(n for n in out.split() if n.endswith(KERNEL_PACKAGE_SUFFIX) and "cloud" not in n and "rt-" not in n)
    if not names:
        sys.exit("guest: no linux-image-6.12.*+deb12-amd64-unsigned in apt (is bookworm-security in sources?)")
    return names[-1]


class Cpio:
    """A newc cpio archive written in memory (the initramfs format)."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b""):
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
        self.ino += 1
        self.out.write(header.encode() + name_bytes)
        self.out.write(b"\0" * ((4 - (110 + len(name_bytes)) % 4) % 4))
        self.out.write(data)
        self.out.write(b"\0" * ((4 - len(data) % 4) % 4))

    def dir(self, path):
        path = path.strip("/")
        if not path or path in self.dirs:
            return
        self.dir(os.path.dirname(path))
        self.dirs.add(path)
        self._entry(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, mode=0o755):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def symlink(self, path, target):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def host_file(self, host_path, guest_path=None):
        guest_path = guest_path or host_path
        real = os.path.realpath(host_path)
        with open(real, "rb") as f:
            self.file(guest_path, f.read(), os.stat(real).st_mode & 0o777)

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return gzip.compress(self.out.getvalue(), compresslevel=1)


INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin:/sbin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
driver=$(sed -n 's/.*udefio\.driver=\([^ ]*\).*/\1/p' /proc/cmdline)
for m in $(cat /modules/$driver.order); do insmod /modules/$m || echo "guest: insmod $m failed"; done
i=0
while [ ! -e /dev/dri/card0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "UDEFIO-BOOTED driver=$driver"
if [ -x /run.sh ]; then
    /run.sh </dev/console
    echo "UDEFIO-EXIT=$?"
fi
poweroff -f
"""


def package_version(package):
    out = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True).stdout
    return next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Version:"))


def build_vkms(version, source_version, work, moddir):
    """vkms.ko from linux-source-6.12 against the guest kernel's headers
    (same gcc 12, so the vermagic matches), put where depmod finds it."""
    headers = f"/usr/src/linux-headers-{version}"
    if not os.path.isdir(headers) or not os.path.exists("/usr/src/linux-source-6.12.tar.xz"):
        run(["apt-get", "-o", "DPkg::Lock::Timeout=900", "install", "-y", "-qq", "--no-install-recommends",
             f"linux-headers-{version}", f"linux-source-6.12={source_version}"], stdout=subprocess.DEVNULL)
    run(["tar", "-xJf", "/usr/src/linux-source-6.12.tar.xz", "-C", work, "--wildcards",
         "linux-source-6.12/drivers/gpu/drm/vkms/*"])
    src = os.path.join(work, "linux-source-6.12/drivers/gpu/drm/vkms")
    run(["make", "-s", "-C", headers, f"M={src}", "CONFIG_DRM_VKMS=m", "modules"], stdout=subprocess.DEVNULL)
    os.makedirs(os.path.join(moddir, "kernel/drivers/gpu/drm/vkms"), exist_ok=True)
    shutil.copy(os.path.join(src, "vkms.ko"), os.path.join(moddir, "kernel/drivers/gpu/drm/vkms/vkms.ko"))


def build_sw_sync(work, headers):
    """sw_sync.ko (the kernel's software sync_file timeline, which Debian does
    not build): CONFIG_SW_SYNC is a bool, so a small Kbuild makes it a module,
    with three fixes (PLATFORM.md): the trace header's include path, the
    module.h that turns late_initcall into module_init, and the debugfs name
    printer that uses an unexported symbol. Lets the guest test fences a
    client hands in, signalled when the test says."""
    run(["tar", "-xJf", "/usr/src/linux-source-6.12.tar.xz", "-C", work, "--wildcards",
         "linux-source-6.12/drivers/dma-buf/sw_sync.c", "linux-source-6.12/drivers/dma-buf/sync_debug.*",
         "linux-source-6.12/drivers/dma-buf/sync_trace.h"])
    src = os.path.join(work, "linux-source-6.12/drivers/dma-buf")

    def edit(name, old, new):
        path = os.path.join(src, name)
        with open(path) as f:
            text = f.read()
        if old not in text:
            sys.exit(f"guest: sw_sync: {name} changed upstream ({old!r} not found)")
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    os.rename(os.path.join(src, "sw_sync.c"), os.path.join(src, "sw_sync_core.c"))
    edit("sync_trace.h", "#define TRACE_INCLUDE_PATH ../../drivers/dma-buf", "#define TRACE_INCLUDE_PATH .")
    edit("sync_debug.c", "#include <linux/debugfs.h>", "#include <linux/module.h>\n#include <linux/debugfs.h>")
    edit("sync_debug.c", "sync_file_get_name(sync_file, buf, sizeof(buf))", "\"sync_file\"")
    with open(os.path.join(src, "sw_sync_core.c"), "a") as f:
        f.write('\nMODULE_LICENSE("GPL");\n')
    with open(os.path.join(src, "Kbuild"), "w") as f:
        f.write("obj-m += sw_sync.o\nsw_sync-y := sw_sync_core.o sync_debug.o\nccflags-y += -I$(src)\n")
    run(["make", "-s", "-C", headers, f"M={src}", "modules"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(src, "sw_sync.ko")


def prepare():
    cache = cache_dir()
    done = os.path.join(cache, "ready-3")  # bump when what prepare() builds changes
    if os.path.exists(done):
        return
    os.makedirs(cache, exist_ok=True)
    t0 = time.time()
    package = newest_kernel_package()
    log(f"preparing the guest in {cache} with {package}")
    work = tempfile.mkdtemp(dir=cache)
    run(["apt-get", "download", "-qq", package], cwd=work)
    deb = glob.glob(os.path.join(work, "*.deb"))[0]
    root = os.path.join(work, "root")
    run(["dpkg-deb", "-x", deb, root])
    version = os.listdir(os.path.join(root, "lib/modules"))[0]
    moddir = os.path.join(root, "lib/modules", version)
    build_vkms(version, package_version(package), work, moddir)
    sw_sync = build_sw_sync(work, f"/usr/src/linux-headers-{version}")
    run(["depmod", "-b", root, version])
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()

    cpio = Cpio()
    cpio.host_file("/bin/busybox", "bin/busybox")
    cpio.file("init", INIT.encode())
    packed = set()
    input_order = []
    for module in INPUT_MODULES:
        input_order += [m for m in list(reversed(deps["kernel/" + module])) + ["kernel/" + module] if m not in input_order]
    for driver, (module, _) in DRIVERS.items():
        order = list(reversed(deps["kernel/" + module])) + ["kernel/" + module] + input_order
        names = []
        for mod in order:
            name = os.path.basename(mod).removesuffix(".xz")
            with open(os.path.join(moddir, mod), "rb") as f:
                data = f.read()
            if mod.endswith(".xz"):  # busybox insmod cannot decompress
                data = subprocess.run(["xz", "-dc"], input=data, capture_output=True, check=True).stdout
            if name not in packed:
                cpio.file("modules/" + name, data, 0o644)
                packed.add(name)
            names.append(name)
        names.append("sw_sync.ko")
        cpio.file(f"modules/{driver}.order", ("\n".join(names) + "\n").encode(), 0o644)
    with open(sw_sync, "rb") as f:
        cpio.file("modules/sw_sync.ko", f.read(), 0o644)
    with open(os.path.join(cache, "base.cpio.gz"), "wb") as f:
        f.write(cpio.finish())
    # A second archive, appended only to the boots that run input checks
    # (guest.py run --input): it holds 7 MB that every other boot would
    # unpack for nothing.
    input_cpio = Cpio()
    add_input_userspace(input_cpio)
    with open(os.path.join(cache, "input.cpio.gz"), "wb") as f:
        f.write(input_cpio.finish())
    shutil.copy(os.path.join(root, "boot", f"vmlinuz-{version}"), os.path.join(cache, "vmlinuz"))
    shutil.rmtree(work)
    with open(done, "w") as f:
        f.write(version + "\n")
    log(f"guest ready ({version}) in {time.time() - t0:.0f} s")


def add_tree(cpio, top):
    """A host directory as it is, symlinks included (xkb's rules/xorg)."""
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                cpio.symlink(path, os.readlink(path))
            elif os.path.isfile(path):
                cpio.host_file(path)


def add_input_userspace(cpio):
    libraries = set()
    for host, guest in INPUT_BINARIES.items():
        cpio.host_file(host, guest or host)
        libraries.update(shared_libraries(host))
    for lib in sorted(libraries):
        cpio.host_file(lib)
    cpio.symlink("/lib/systemd/systemd-udevd", "/usr/bin/udevadm")  # udevadm is udevd by that name
    for rule in INPUT_RULES:
        cpio.host_file("/lib/udev/rules.d/" + rule)
    for top in INPUT_DATA:
        add_tree(cpio, top)
    cpio.file("etc/group", ETC_GROUP.encode(), 0o644)
    cpio.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
    cpio.file("bin/udefio-input-up", INPUT_UP.encode())


def shared_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            libs.append(parts[2])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


def payload(program, args, extra_binaries=(), extra_libraries=(), data=()):
    """The per-run cpio: the program (and extra binaries it runs, in
    /usr/bin), extra libraries it loads at run time (at their host path, e.g.
    Mesa's kms_swrast_dri.so for libgbm), all their libraries, data files or
    trees at their host path (fbi's font and fontconfig's configuration) and
    /run.sh."""
    cpio = Cpio()
    for path in data:
        if os.path.isdir(path):
            add_tree(cpio, path)
        else:
            cpio.host_file(path)
    program = shutil.which(program) or program
    libraries = set()
    for binary in [program, *extra_binaries]:
        cpio.host_file(binary, "/usr/bin/" + os.path.basename(binary))
        libraries.update(shared_libraries(binary))
    for library in extra_libraries:
        libraries.add(library)
        libraries.update(shared_libraries(library))
    for lib in sorted(libraries):
        cpio.host_file(lib)
        if not lib.startswith(("/lib", "/usr/lib")):
            # One of ours (libudefio-client): its binaries find it through a
            # RUNPATH relative to the build tree, which /usr/bin is not in.
            cpio.host_file(lib, "/usr/lib/" + os.path.basename(lib))
    quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in [os.path.basename(program), *args])
    cpio.file("run.sh", f"#!/bin/sh\ncd /tmp\nexec {quoted}\n".encode())
    return cpio.finish()


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        for _ in range(100):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        self.file = self.sock.makefile("rw")
        self.file.readline()  # greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        self.file.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                return reply


def display_device(driver, heads):
    """The QEMU device of the driver, with `heads` outputs (virtio-gpu only)."""
    device = list(DRIVERS[driver][1])
    if heads > 1:
        if driver != "virtio-gpu":
            sys.exit(f"guest: --heads {heads}: only virtio-gpu has several outputs")
        device[-1] += f",max_outputs={heads},id=gpu"
    return device


def run_guest(driver, program, args, screendump_dir, extra_binaries=(), extra_libraries=(), heads=1,
              with_input=False, data=(), cpu=None):
    prepare()
    cache = cache_dir()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, "initrd")
        with open(initrd, "wb") as f:
            f.write(open(os.path.join(cache, "base.cpio.gz"), "rb").read())
            if with_input:
                f.write(open(os.path.join(cache, "input.cpio.gz"), "rb").read())
            f.write(payload(program, args, extra_binaries, extra_libraries, data))
        qmp_path = os.path.join(tmp, "qmp")
        # One vCPU: with two, TCG sometimes breaks the kernel's live code
        # patching (text_poke) at boot ("Oops: int3" in a timer softirq).
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-smp", "1", "-nographic", "-no-reboot",
               "-vga", "none", "-nic", "none", "-serial", "stdio", "-monitor", "none",
               "-qmp", f"unix:{qmp_path},server=on,wait=off",
               "-kernel", os.path.join(cache, "vmlinuz"), "-initrd", initrd,
               "-append", f"console=ttyS0 panic=-1 quiet loglevel=3 udefio.driver={driver}",
               *display_device(driver, heads)]
        if cpu:
            cmd += ["-cpu", cpu]
        qemu = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        qmp = None
        exit_code = None
        booted = False
        # A guest that goes silent never gives the loop below a line to check
        # the time on: a thread watches the time of the last line instead.
        timed_out = threading.Event()
        done = threading.Event()
        started = last_line = time.monotonic()

        def watch():
            while not done.wait(1):
                now = time.monotonic()
                if now - last_line > SILENCE_TIMEOUT or now - started > BOOT_LIMIT:
                    timed_out.set()
                    qemu.kill()
                    return

        watchdog = threading.Thread(target=watch, daemon=True)
        watchdog.start()
        for line in qemu.stdout:
            last_line = time.monotonic()
            line = line.rstrip("\r\n")
            print(line, flush=True)
            if line.startswith("UDEFIO-SCREENDUMP "):
                words = line.split()
                name, head = words[1], int(words[2]) if len(words) > 2 else 0
                qmp = qmp or Qmp(qmp_path)
                target = os.path.join(screendump_dir or tmp, name + ".ppm")
                where = {"device": "gpu", "head": head} if heads > 1 else {}
                reply = qmp.command("screendump", filename=target, **where)
                qemu.stdin.write(("done" if "return" in reply else "failed") + "\n")
                qemu.stdin.flush()
            elif line.startswith("UDEFIO-BOOTED"):
                booted = True
            elif line.startswith("UDEFIO-EXIT="):
                exit_code = int(line.split("=", 1)[1])
        done.set()
        watchdog.join()
        qemu.wait()
        if timed_out.is_set():
            log(f"the guest was still running, silent for {SILENCE_TIMEOUT} s or running for {BOOT_LIMIT} s: "
                "stopped (its last lines are above)")
            return 1
        if exit_code is None:
            log("the guest ended without reporting an exit code" +
                ("" if booted else " (it did not finish booting: see the kernel log above)"))
            return 1
        return exit_code


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare")
    r = sub.add_parser("run")
    r.add_argument("driver", choices=sorted(DRIVERS))
    r.add_argument("--screendump-dir")
    r.add_argument("--heads", type=int, default=1, help="outputs of the display device (virtio-gpu)")
    r.add_argument("--with", dest="extra", action="append", default=[], metavar="BINARY",
                   help="another host binary the program runs (copied to /usr/bin with its libraries)")
    r.add_argument("--lib", dest="libs", action="append", default=[], metavar="LIBRARY",
                   help="a shared object the program loads at run time (copied to its host path with its libraries)")
    r.add_argument("--data", action="append", default=[], metavar="PATH",
                   help="a host file or directory tree copied to the same path (e.g. a font for fbi)")
    r.add_argument("--cpu", help="QEMU's CPU model (default: QEMU's, qemu64, which lacks POPCNT, SSE4 and AVX)")
    r.add_argument("--input", action="store_true",
                   help="add udevd, seatd, the udev rules and xkb data (then run udefio-input-up to start them)")
    r.add_argument("program")
    r.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    if opts.command == "prepare":
        prepare()
        return 0
    return run_guest(opts.driver, opts.program, opts.args, opts.screendump_dir, opts.extra, opts.libs, opts.heads,
                     opts.input, opts.data, opts.cpu)


if __name__ == "__main__":
    sys.exit(main())
