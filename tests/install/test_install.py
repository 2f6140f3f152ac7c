#!/usr/bin/env python3
"""What `meson install` gives a user: the udefio command in bin/ and nothing
else there, libudefio-client exporting its C API (udefio_*) only, its header
as <udefio/udefio-client.h>, a .pc file that builds a C program and points to
documentation that is installed, the license, and udefio-kiosk.service, which
systemd-analyze verify accepts without a word."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = sys.argv.pop(1)
SOURCE = sys.argv.pop(1)
LIBRARY = sys.argv.pop(1)  # the built libudefio-client.so
HEADER = os.path.join(SOURCE, "protocol", "client", "include", "udefio", "udefio-client.h")


def declared_functions():
    with open(HEADER) as f:
        return set(re.findall(r"^UDEFIO_EXPORT [^(]*?\b(udefio_\w+)\(", f.read(), re.M))


class ClientLibraryExports(unittest.TestCase):
    def test_only_the_c_api_is_exported(self):
        nm = subprocess.run(["nm", "-D", "--defined-only", LIBRARY], capture_output=True, text=True, check=True)
        symbols = {line.split()[-1].split("@")[0] for line in nm.stdout.splitlines()
                   if line.split() and line.split()[-2] != "A"}  # "A": the version node itself
        self.assertEqual({s for s in symbols if not s.startswith("udefio_")}, set(),
                         "exported beyond the C API")
        self.assertEqual(symbols, declared_functions())


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="udefio-install-")
        r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", cls.tmp.name],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        pcs = glob.glob(os.path.join(cls.tmp.name, "**", "udefio-client.pc"), recursive=True)
        assert len(pcs) == 1, pcs
        with open(pcs[0]) as f:
            cls.pc = f.read()
        cls.prefix = cls.tmp.name + re.search(r"^prefix=(.*)$", cls.pc, re.M).group(1)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def pc_path(self, variable):
        value = re.search(rf"^{variable}=(.*)$", self.pc, re.M).group(1)
        return value.replace("${prefix}", self.prefix)

    def test_bin_holds_the_command_only(self):
        self.assertEqual(os.listdir(os.path.join(self.prefix, "bin")), ["udefio"])

    def test_the_header_is_under_udefio(self):
        self.assertTrue(os.path.isfile(os.path.join(self.pc_path("includedir"), "udefio", "udefio-client.h")))
        self.assertFalse(os.path.exists(os.path.join(self.pc_path("includedir"), "udefio-client.h")))

    def test_the_pc_files_doc_pointer_is_installed(self):
        docs = re.findall(r"(/\S+\.md)", re.search(r"^Description: (.*)$", self.pc, re.M).group(1))
        self.assertTrue(docs, self.pc)
        for doc in docs:
            self.assertTrue(os.path.isfile(self.tmp.name + doc), f"{doc} is not installed")

    def test_the_license_is_installed(self):
        with open(os.path.join(self.prefix, "share", "doc", "udefio", "LICENSE")) as f:
            self.assertIn("MIT License", f.read())

    def test_a_c_program_builds_against_it(self):
        program = os.path.join(self.tmp.name, "app.c")
        with open(program, "w") as f:
            f.write('#include <udefio/udefio-client.h>\n'
                    'int main(void) { char e[64]; return udefio_connect("/nonexistent", e, sizeof e) ? 1 : 0; }\n')
        r = subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", self.pc_path("includedir"), program,
                            "-L", self.pc_path("libdir"), "-ludefio-client", "-o", program + ".out"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([program + ".out"], env={"LD_LIBRARY_PATH": self.pc_path("libdir")})
        self.assertEqual(r.returncode, 0, "udefio_connect to a missing socket must fail cleanly")

    def test_the_service_unit_verifies(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed (tools/bootstrap.sh test installs systemd)")
        units = glob.glob(os.path.join(self.prefix, "lib", "systemd", "system", "udefio-kiosk.service"))
        self.assertEqual(len(units), 1, "udefio-kiosk.service is not installed under PREFIX/lib/systemd/system")
        with open(units[0]) as f:
            unit = f.read()
        prefix = self.prefix[len(self.tmp.name):]
        self.assertIn(f"ExecStart={prefix}/bin/udefio kiosk ", unit)
        documentation = re.search(r"^Documentation=file://(\S+)$", unit, re.M).group(1)
        self.assertTrue(os.path.isfile(self.tmp.name + documentation), f"{documentation} is not installed")
        # verify checks that ExecStart's program exists: the one installed here.
        checked = os.path.join(self.tmp.name, "udefio-kiosk.service")
        with open(checked, "w") as f:
            f.write(unit.replace(f"ExecStart={prefix}/", f"ExecStart={self.prefix}/"))
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", checked], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
