// libFuzzer target for the server's state machine, not only its decoder:
// each input is a script of steps (tests/fuzz/server_harness.hpp) - clients
// connecting, greeting, making surfaces on several outputs, leasing, drawing,
// damaging, committing with real sync_files where this kernel has sw_sync
// (else, and also, fds that are no fence), tracking leases where they are and
// where they are not, destroying, releasing, truncating, sending garbage,
// hanging up in the middle; outputs presenting, going, coming, changing size.
// Most steps are well-formed, so that scripts get deep; one in a few is not.
// The loop wakes after every step, and the harness checks what it must.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/server_harness.hpp"
#include "util/log.hpp"

using udefio::fuzz::ServerHarness;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    udefio::set_log_level(udefio::LogLevel::quiet);
    if (const char* v = std::getenv("FUZZ_SERVER_STATS"); v && *v == '1')
        std::atexit(ServerHarness::print_stats);
    if (!ServerHarness::have_sync_files()) {
        std::fprintf(stderr, "fuzz_server: no sw_sync on this kernel: attach_fence gets only fds that are no "
                             "sync_file\n");
        // The guest lane (tests/fuzz/run_fuzz.sh with FUZZ_GUEST) is there for real sync_files.
        if (const char* v = std::getenv("FUZZ_SERVER_NEED_SYNC_FILES"); v && *v == '1')
            std::exit(1);
    }
    return 0;
}

namespace {

// One step of the script.
void run_step(ServerHarness& h, FuzzedDataProvider& in)
{
    const size_t slot = in.ConsumeIntegralInRange<size_t>(0, ServerHarness::kClients - 1);
    uint8_t pick = in.ConsumeIntegral<uint8_t>();  // which surface or lease, or (bad) any id
    // Once the input is used up every value is its least: a step then is neither bad nor more than a wakeup.
    const bool bad = in.ConsumeIntegralInRange(0, 15) == 15;  // a step that is a protocol error
    if (!bad)
        pick %= ServerHarness::kAnyId;
    auto n = [&](int most) { return in.ConsumeIntegralInRange(0, most); };
    switch (in.ConsumeIntegralInRange(0, 27)) {
    case 18:
        if (h.connect(slot) != bad)  // bad: a hello twice, or none
            h.hello(slot, 1 + uint32_t(n(2)));
        break;
    case 1: {
        const uint32_t id = uint32_t(n(5));
        h.create_surface(slot, bad ? id : h.unused_surface_id(slot, id), std::nullopt);
        break;
    }
    case 2: {
        const uint32_t id = uint32_t(n(5));
        const size_t output = size_t(n(7));
        if (bad || h.version(slot) >= 2)  // else create_surface_on is a protocol error
            h.create_surface(slot, bad ? id : h.unused_surface_id(slot, id), output);
        break;
    }
    case 3:
        if (auto s = h.surface_id(slot, pick)) {
            const uint32_t wanted = uint32_t(n(5)), offset = uint32_t(n(2));
            const uint32_t lease = bad ? wanted : h.unused_lease_id(slot, wanted);
            h.lease(slot, *s, lease, offset, uint32_t(n(bad ? 40 : 2)));
        }
        break;
    case 4:
        if (auto s = h.surface_id(slot, pick)) {
            const int32_t x = n(260), y = n(70), w = n(bad ? 0 : 260) + (bad ? 0 : 1);
            h.damage(slot, *s, x, y, w, 1 + n(70));
        }
        break;
    case 5:
    case 6:
        if (auto s = h.surface_id(slot, pick))
            h.commit(slot, *s);
        break;
    case 7:
        if (!bad && !ServerHarness::have_sync_files())
            break;  // no fence a client could send without an error
        if (auto s = h.surface_id(slot, pick))
            h.attach_fence(slot, *s, bad ? ServerHarness::FenceKind(n(3)) : ServerHarness::FenceKind::sync_file);
        break;
    case 8:
        h.signal_fences();
        break;
    case 9:
        if (auto s = h.surface_id(slot, pick))
            h.destroy_surface(slot, *s);
        break;
    case 10:
        if (auto l = h.lease_id(slot, pick))
            h.release(slot, *l);
        break;
    case 11:
        if (auto l = h.lease_id(slot, pick))
            h.track(slot, *l, bad ? ServerHarness::TrackAt(1 + n(3)) : ServerHarness::TrackAt::registered);
        break;
    case 12:
        if (bad) {
            const auto bytes = in.ConsumeBytes<uint8_t>(size_t(n(48)));
            h.raw(slot, bytes);  // 0 bytes too: a truncated message
        }
        break;
    case 13:
        if (n(3) == 0)
            h.disconnect(slot);
        break;
    case 14:
    case 15:
    case 16:
        if (auto l = h.lease_id(slot, pick)) {
            const uint32_t x = uint32_t(n(255)), y = uint32_t(n(63)), w = 1 + uint32_t(n(63));
            h.draw(slot, *l, x, y, w, 1 + uint32_t(n(63)));
        }
        break;
    case 17:
        if (bad) {
            if (auto l = h.lease_id(slot, pick))
                h.truncate(slot, *l);
        }
        break;
    case 0:
        for (int steps = n(7); steps > 0; --steps)
            h.step();
        break;
    case 19:
        h.present(size_t(n(7)));
        break;
    case 20:  // what the session does to outputs
        switch (n(4)) {
        case 0:
            h.remove_output(size_t(n(7)));
            break;
        case 1:
            h.add_output();
            break;
        case 2:
            h.replace_output(size_t(n(7)));
            break;
        case 3:
            h.set_default_output(size_t(n(7)));
            break;
        case 4:
            h.revoke_all();
            break;
        }
        break;
    case 21:  // a burst of damage, past the rectangles a commit keeps
        if (auto s = h.surface_id(slot, pick)) {
            for (int k = 1 + n(63); k > 0; --k) {
                const int32_t x = n(255);
                h.damage(slot, *s, x, n(63), 1, 1);
            }
        }
        break;
    case 22:
    case 23:
        h.present(size_t(n(7)));
        h.step();
        break;
    case 26:
        if (auto s = h.surface_id(slot, pick); s && (bad || h.version(slot) >= 3))  // else a protocol error
            h.request_focus(slot, *s);
        break;
    case 27:
        h.input(uint8_t(n(255)), uint32_t(n(1 << 16)));
        break;
    case 24:
    case 25: {
        const uint32_t x = uint32_t(n(255)), y = uint32_t(n(63)), w = 1 + uint32_t(n(63));
        h.frame(slot, pick, x, y, w, 1 + uint32_t(n(63)), n(3) != 0);
        break;
    }
    }
    h.step();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FuzzedDataProvider in(data, size);
    ServerHarness h;
    while (in.remaining_bytes() > 0)
        run_step(h, in);
    return 0;  // ~ServerHarness checks the end
}
