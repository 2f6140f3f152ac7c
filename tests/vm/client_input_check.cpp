// Runs inside the QEMU guest (tests/vm/test_kms.py, the input boot, after
// udefio-input-up started udevd and seatd): input from real devices reaches
// a protocol client through the whole kiosk. `udefio kiosk --backend kms
// --transform 90` runs tools/examples/client_input.c as its main program,
// which has the input focus from its first surface; uinput devices made
// then (a keyboard, a touch screen, a tablet) are added through udev and
// libinput, and what they send must come out of the client as it printed
// it: the key with its text, touch and pointer at the place on the rotated
// output that the panel's place maps to. A screendump shows the software
// cursor where the tablet put it (tests/vm/test_kms.py checks its pixels).
//   client_input_check UDEFIO CLIENT_INPUT
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>

#include "tests/read_file.hpp"
#include "tests/vm/screendump.hpp"
#include "tests/vm/uinput_device.hpp"

using namespace udefio::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kLog = "/tmp/client-input-kiosk.log";
constexpr const char* kOut = "/tmp/client-input.txt";

int fail(const std::string& what)
{
    std::fprintf(stderr, "client_input_check: %s\n", what.c_str());
    return 1;
}

// Waits until the file says `text`; false if udefio ended first, or after
// 30 s (a bound for a hang, below the case's watchdog, so that the log is printed).
bool wait_for_text(const char* path, const std::string& text, pid_t udefio)
{
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < give_up) {
        if (read_file(path).find(text) != std::string::npos)
            return true;
        if (::waitpid(udefio, nullptr, WNOHANG) == udefio)
            return false;
        std::this_thread::sleep_for(20ms);  // polling a file udefio appends to
    }
    return false;
}

std::string fixed2(double v)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", v);
    return text;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return fail("usage: client_input_check UDEFIO CLIENT_INPUT");
    const std::string client = std::string("exec ") + argv[2] + " 8 > " + kOut;
    const char* args[] = {argv[1], "kiosk", "--backend", "kms", "--socket", "/tmp/udefio-client-input",
                          "--restart", "never", "--transform", "90", "--", "/bin/sh", "-c", client.c_str(), nullptr};
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 2, kLog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t udefio = 0;
    if (posix_spawn(&udefio, argv[1], &files, nullptr, const_cast<char**>(args), environ) != 0)
        return fail("cannot start udefio");
    posix_spawn_file_actions_destroy(&files);
    auto give_up = [&](const std::string& what) {
        ::kill(udefio, SIGTERM);
        ::waitpid(udefio, nullptr, 0);
        std::fprintf(stderr, "--- udefio's log:\n%s--- the client's output:\n%s", read_file(kLog).c_str(),
                     read_file(kOut).c_str());
        return fail(what);
    };
    if (!wait_for_text(kLog, "(the main program's first surface)", udefio))
        return give_up("the main program never had the input focus");
    if (!wait_for_text(kOut, "ready ", udefio))  // it has leased its surface and drawn
        return give_up("the client never said it was ready");
    // The client's surface is the rotated output: its `ready` line says how big.
    unsigned width = 0, height = 0;
    const std::string out = read_file(kOut);
    if (const auto at = out.find("ready "); at == std::string::npos ||
                                            std::sscanf(out.c_str() + at, "ready %ux%u", &width, &height) != 2)
        return give_up("the client did not say its size");
    // Under 90 the panel is height x width; its pixel (x, y) is (panel_h - 1 - y, x) for the user.
    const int panel_w = int(height), panel_h = int(width);
    auto keyboard = UinputDevice::keyboard("udefio-client-kbd");
    auto touch = UinputDevice::touchscreen("udefio-client-touch", panel_w, panel_h);
    auto tablet = UinputDevice::tablet("udefio-client-tablet", panel_w, panel_h);
    if (!keyboard || !touch || !tablet)
        return give_up("cannot create the uinput devices");
    for (const char* name : {"udefio-client-kbd", "udefio-client-touch", "udefio-client-tablet"})
        if (!wait_for_text(kLog, std::string("added: ") + name, udefio))
            return give_up(std::string(name) + " was never added");
    // A touch, then the tablet twice; each mark the client draws is a commit.
    touch->write(EV_ABS, ABS_MT_SLOT, 0);
    touch->write(EV_ABS, ABS_MT_TRACKING_ID, 1);
    touch->write(EV_ABS, ABS_MT_POSITION_X, 100);
    touch->write(EV_ABS, ABS_MT_POSITION_Y, 50);
    touch->write(EV_KEY, BTN_TOUCH, 1);
    touch->write(EV_ABS, ABS_X, 100);
    touch->write(EV_ABS, ABS_Y, 50);
    touch->sync();
    touch->write(EV_ABS, ABS_MT_TRACKING_ID, -1);
    touch->write(EV_KEY, BTN_TOUCH, 0);
    touch->sync();
    // The software cursor (--cursor auto: the tablet is a pointer) follows
    // the tablet. The session damages the cursor before the client hears of
    // the move, so the flush that presents the client's next commit shows
    // the cursor; the second move's commit is presented after a flush that
    // began after the move (`presented` may be of a flush already on its way).
    for (const int x : {200, 201}) {
        tablet->write(EV_ABS, ABS_X, x);
        tablet->write(EV_ABS, ABS_Y, 120);
        tablet->sync();
        const std::string moved = "pointer absolute " + fixed2(panel_h - 1 - 120) + " " + fixed2(x) + "\n";
        if (!wait_for_text(kOut, moved + "presented", udefio))
            return give_up("the client's mark after the pointer moved to " + std::to_string(x) + " was not presented");
    }
    std::printf("UDEFIO-CURSOR tip=%d,%d logical=%ux%u\n", panel_h - 1 - 120, 201, width, height);
    if (!screendump("client-cursor"))
        return give_up("no screendump");
    keyboard->key(KEY_A, 1);
    keyboard->key(KEY_A, 0);
    // 8 input events, then the client exits 0, which ends the kiosk (exit 0).
    int status = 0;
    const auto bound = std::chrono::steady_clock::now() + 30s;  // for a hang, as above
    while (::waitpid(udefio, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > bound)
            return give_up("the client did not end after its 8 events");
        std::this_thread::sleep_for(20ms);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "--- udefio's log:\n%s", read_file(kLog).c_str());
        return fail("udefio did not end with its program's exit 0 (status " + std::to_string(status) + ")");
    }
    // The presentations are the client's own business here.
    std::string got;
    std::istringstream lines(read_file(kOut));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("presented", 0) != 0)
            got += line + "\n";
    const std::string touched = fixed2(panel_h - 1 - 50) + " " + fixed2(100);
    const std::string pointed = fixed2(panel_h - 1 - 120) + " " + fixed2(200);
    const std::string expected = "touch down 0 " + touched + "\n"
                                 "touch frame\n"
                                 "touch up 0\n"
                                 "touch frame\n"
                                 "pointer absolute " + pointed + "\n"
                                 "pointer absolute " + fixed2(panel_h - 1 - 120) + " " + fixed2(201) + "\n"
                                 "key 30 pressed keysym 0x61 text \"a\" mods 0x0\n"
                                 "key 30 released keysym 0x61 text \"\" mods 0x0\n";
    const auto events = got.find("touch down");
    if (got.find("focus 1\n") == std::string::npos || events == std::string::npos ||
        got.substr(events) != expected)
        return fail("the client got:\n" + got + "expected, after focus 1 and ready:\n" + expected);
    std::printf("client_input_check: ok (%ux%u under 90: touch at %s, pointer at %s)\n%s", width, height,
                touched.c_str(), pointed.c_str(), got.c_str());
    return 0;
}
