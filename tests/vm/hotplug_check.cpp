// Runs inside the QEMU guest (tests/vm/test_kms.py): a display goes away and
// comes back. The connector is forced off and on through DRM's debugfs and a
// hotplug uevent is sent, as a real unplug would; udefio must remove the
// output (through the unplug path of "fbdev: defio: Protect against device/module removal") and then pick the new one up.
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>

#include "backends/kms/kms_backend.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

bool write_file(const std::string& path, const std::string& text)
{
    std::ofstream f(path);
    f << text << std::flush;
    return bool(f);
}

// What a monitor's hotplug interrupt makes the kernel send.
bool force_connector(const std::string& name, const char* state)
{
    return write_file("/sys/kernel/debug/dri/0/" + name + "/force", state) &&
           write_file("/sys/class/drm/card0/uevent", "change");
}

template <class Pred>
bool wait_for(Pred pred)
{
    for (int i = 0; i < 2000 && !pred(); ++i)
        std::this_thread::sleep_for(10ms);
    return pred();
}

// How many outputs the backend has, asked on the loop thread that changes them.
size_t outputs_on_loop(EventLoop& loop, Backend& backend)
{
    std::promise<size_t> count;
    loop.post([&] { count.set_value(backend.outputs().size()); });
    return count.get_future().get();
}

}  // namespace

int main()
{
    auto loop = EventLoop::create().value();
    auto backend = KmsBackend::create(*loop, KmsOptions{});
    if (!backend) {
        std::fprintf(stderr, "hotplug_check: %s\n", backend.error().message().c_str());
        return 1;
    }
    std::atomic<int> removed{0}, added{0};
    (*backend)->set_output_removed_callback([&](Output&) { ++removed; });
    (*backend)->set_output_added_callback([&](Output&) { ++added; });
    const std::string name = (*backend)->outputs().front()->name();
    std::thread loop_thread([&] { loop->run(); });

    const bool off = force_connector(name, "off") && wait_for([&] { return removed == 1; });
    const size_t outputs_when_off = outputs_on_loop(*loop, **backend);
    const bool on = force_connector(name, "on") && wait_for([&] { return added == 1; });
    const size_t outputs_when_on = outputs_on_loop(*loop, **backend);

    loop->post([&] { loop->stop(); });
    loop_thread.join();
    std::printf("UDEFIO-HOTPLUG removed=%d outputs_off=%zu added=%d outputs_on=%zu\n", removed.load(),
                outputs_when_off, added.load(), outputs_when_on);
    return off && on && outputs_when_off == 0 && outputs_when_on == 1 ? 0 : 1;
}
