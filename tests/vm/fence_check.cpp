// Runs inside the QEMU guest (tests/vm/test_kms.py), where sw_sync gives
// real sync_files that signal when we say ("dma-fence: Fix races of fence callbacks versus destructors by locking", on kernel fences):
// 1. a sync_file Fence is unsignalled, its FenceWait in the event loop fires
//    only after the timeline advances, with the kernel's signal timestamp;
// 2. a client's unsignalled fence given to the KMS output (IN_FENCE_FD)
//    holds the commit: no page flip until the fence signals, then one.
// Prints "fence_check: ok ..." with what it measured, or why it failed.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "backends/kms/kms_backend.hpp"
#include "util/clock.hpp"
#include "fence/fence_wait.hpp"
#include "tests/sw_sync.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

int fail(const std::string& what)
{
    std::printf("fence_check: FAIL %s\n", what.c_str());
    std::fflush(stdout);
    return 1;
}

// What it is about to do: if the guest's case watchdog finds it stuck, the
// last of these says where.
void step(const char* what)
{
    std::printf("fence_check: %s\n", what);
    std::fflush(stdout);
}

Result<std::shared_ptr<Fence>> timeline_fence(int timeline, uint32_t value)
{
    const int fence = test::sw_sync_fence(timeline, value, ("client-" + std::to_string(value)).c_str());
    if (fence < 0)
        return errno_error("SW_SYNC_IOC_CREATE_FENCE");
    return Fence::adopt_sync_file(UniqueFd(fence));
}

// Polls `pred` until it holds or 10 s pass (TCG on a busy host is slow).
template <class Pred>
bool wait_until(Pred pred)
{
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

// Returns once the loop ran a task posted now: every event it had seen ready
// before (in the iteration that ran the task, or an earlier one) has been handled.
void round_trip(EventLoop& loop)
{
    std::promise<void> ran;
    loop.post([&] { ran.set_value(); });
    ran.get_future().wait();
}

}  // namespace

int main()
{
    UniqueFd timeline(::open(test::kSwSyncPath, O_RDWR | O_CLOEXEC));
    if (!timeline)
        return fail(std::string("open ") + test::kSwSyncPath + ": " + std::strerror(errno));
    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error().message());

    // 1. A kernel fence waited for in the loop.
    step("1: a sw_sync fence waited for in the event loop");
    auto fence = timeline_fence(timeline.get(), 1);
    if (!fence)
        return fail(fence.error().message());
    if ((*fence)->check_sync_file())
        return fail("a fresh sw_sync fence is already signalled");
    std::atomic<int64_t> seen_at{0};
    auto wait = FenceWait::start(**loop, *fence, [&](std::chrono::nanoseconds at) { seen_at = at.count(); });
    if (!wait)
        return fail(wait.error().message());
    std::thread loop_thread([&] { (*loop)->run(); });
    // From here on a failure stops the loop first: a joinable thread at exit
    // would abort, and outputs must go on the loop thread or after it stopped.
    auto stop_loop = [&] {
        if (!loop_thread.joinable())
            return;
        (*loop)->post([&] { (*loop)->stop(); });
        loop_thread.join();
    };
    auto fail_stopping = [&](const std::string& what) {
        stop_loop();
        return fail(what);
    };
    // The loop polls with the fence's wait armed (first round trip) and handles
    // what that poll found (second): a fence it took for signalled would show now.
    round_trip(**loop);
    round_trip(**loop);
    if (seen_at != 0)
        return fail_stopping("the loop saw the fence signalled before the timeline advanced");
    const auto before = monotonic_now();
    if (!test::sw_sync_advance(timeline.get()))
        return fail_stopping(std::string("SW_SYNC_IOC_INC: ") + std::strerror(errno));
    const auto after = monotonic_now();
    if (!wait_until([&] { return seen_at != 0; }))
        return fail_stopping("the loop never saw the signalled fence");
    if (seen_at < before.count() || seen_at > after.count())
        return fail_stopping("the fence's timestamp is not the kernel's signal time");

    // 2. A client's fence holds the KMS commit.
    step("2: a commit held by a client's unsignalled IN_FENCE_FD");
    auto backend = KmsBackend::create(**loop, KmsOptions{});
    if (!backend)
        return fail_stopping(backend.error().message());
    auto* output = static_cast<KmsOutput*>((*backend)->outputs().front());
    const OutputMode mode = output->mode();
    DeferredIoOptions options;
    options.delay = 5ms;
    auto state = DeferredIoState::create(BufferLayout::make(mode.width, mode.height).value(), options);
    if (!state)
        return fail_stopping(state.error().message());
    if (auto r = output->attach(*state); !r)
        return fail_stopping(r.error().message());
    auto client_fence = timeline_fence(timeline.get(), 2);
    if (!client_fence)
        return fail_stopping(client_fence.error().message());
    output->set_in_fence(*client_fence);
    const uint64_t flips = output->counters().presented;
    reinterpret_cast<uint32_t*>((*state)->buffer().data())[0] = 0x00ffffffu;
    if (!wait_until([&] { return output->counters().commits > 0; }))
        return fail_stopping("the write was not committed");
    // No kernel event says the commit waits for the fence: give it the time
    // it would take to flip without one (bochs flips at once), many times over.
    std::this_thread::sleep_for(300ms);
    round_trip(**loop);  // a flip event already sent has been handled
    if (output->counters().presented != flips)
        return fail_stopping("the commit flipped before the client's fence signalled");
    const auto signalled = monotonic_now();
    test::sw_sync_advance(timeline.get());
    if (!wait_until([&] { return output->counters().presented != flips; }))
        return fail_stopping("no page flip after the client's fence signalled");
    const double after_ms = double((monotonic_now() - signalled).count()) / 1e6;
    stop_loop();
    std::printf("fence_check: ok sw_sync fence seen in the loop; commit held %d ms by the client's fence, "
                "flipped <= %.1f ms after it signalled; in_fences=%llu\n",
                300, after_ms, static_cast<unsigned long long>(output->kms_counters().in_fences));
    step("3: tearing down (the output restores the CRTC)");
    return 0;
}
