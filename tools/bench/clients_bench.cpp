// Clients of the protocol, end to end on the headless output: N client
// threads (libudefio-client) each lease a band of rows, move a 32x32 square
// in it with plain stores, commit with damage and wait until it is presented.
// Prints commit -> presented p50/p99 and the process CPU per presented frame
// for 1, 4 and 16 clients, next to the same run's baseline (one client), for
// clients that send damage and for clients that do not (udefio then finds
// the pages they wrote through their pagemap, or by a shadow diff where that
// is not possible: the cost of tracking a client's writes without its help).
//   udefio-clients-bench [--seconds S]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "backends/headless/headless_backend.hpp"
#include "compositor/server.hpp"
#include "compositor/socket_listener.hpp"
#include "udefio/udefio-client.h"
#include "util/clock.hpp"
#include "util/log.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

double cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[size_t(std::ceil(q * double(v.size()))) - 1];
}

struct Result1 {
    double p50_ms = 0, p99_ms = 0, cpu_us_per_frame = 0;
    size_t frames = 0;
};

// One client: its band is rows [first, first + rows).
void client(const std::string& socket, uint32_t index, uint32_t clients, bool damage, const std::atomic<bool>& stop,
            std::vector<double>& latencies_ms)
{
    udefio_client* c = udefio_connect(socket.c_str(), nullptr, 0);
    uint32_t surface = 0, width = 0, height = 0;
    if (!c || udefio_create_surface(c, &surface, &width, &height) != 0)
        return;
    // Bands of whole pages of rows (1280 px: 4 rows a page... 16 rows per band at 16 clients of 720).
    const uint32_t band = (height / clients) / 4 * 4;
    udefio_buffer b{};
    if (udefio_lease(c, surface, index * band, band, &b) != 0) {
        std::fprintf(stderr, "client %u: %s\n", index, udefio_last_error(c));
        udefio_disconnect(c);
        return;
    }
    const uint32_t side = std::min(32u, band);
    uint32_t x = 0;
    while (!stop) {
        const uint32_t old = x;
        x = (x + 8) % (width - side);
        for (uint32_t y = 0; y < side; ++y) {
            auto* row = reinterpret_cast<uint32_t*>(static_cast<char*>(b.data) + size_t(y) * b.stride);
            std::fill_n(row + old, side, 0u);
            std::fill_n(row + x, side, 0x00ffffffu);
        }
        if (damage) {
            udefio_damage(c, surface, int32_t(old), int32_t(b.first_row), int32_t(side), int32_t(side));
            udefio_damage(c, surface, int32_t(x), int32_t(b.first_row), int32_t(side), int32_t(side));
        }
        const auto committed = monotonic_now();
        const int64_t serial = udefio_commit(c, surface);
        if (serial < 0 || udefio_wait_presented(c, surface, serial, 2000) != 0)
            break;
        latencies_ms.push_back(double((monotonic_now() - committed).count()) / 1e6);
    }
    udefio_release(c, &b);
    udefio_disconnect(c);
}

Result1 measure(uint32_t clients, bool damage, double seconds)
{
    auto loop = EventLoop::create().value();
    auto backend = HeadlessBackend::create(*loop, HeadlessOptions{}).value();
    Output& output = *backend->outputs().front();
    DeferredIoOptions options;
    options.tracker = TrackerKind::explicit_damage;  // the compositor's own writes come with damage
    options.delay = 1ms;
    auto state = DeferredIoState::create(BufferLayout::make(1280, 720).value(), options).value();
    if (!output.attach(state))
        std::abort();
    auto target = LeaseTarget::create(state).value();
    Server server(*loop);
    server.add_output({1, output.name(), output.mode().refresh_mhz, target.get()});
    char dir[] = "/tmp/udefio-bench-XXXXXX";
    ::mkdtemp(dir);
    const std::string socket = std::string(dir) + "/udefio-0";
    auto listener =
        SocketListener::listen(*loop, socket, [&](UniqueFd c) { server.add_client(std::move(c)); }).value();
    output.set_presented_callback([&](const Presentation& p) { server.on_presented(1, p.sequence, p.timestamp); });
    std::thread loop_thread([&] { loop->run(); });

    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> latencies(clients);
    std::vector<std::thread> threads;
    const double cpu_before = cpu_seconds();
    for (uint32_t i = 0; i < clients; ++i)
        threads.emplace_back([&, i] { client(socket, i, clients, damage, stop, latencies[i]); });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads)
        t.join();
    const double cpu = cpu_seconds() - cpu_before;
    loop->post([&] { loop->stop(); });
    loop_thread.join();
    listener.reset();
    ::rmdir(dir);

    std::vector<double> all;
    for (const auto& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    Result1 r;
    r.frames = all.size();
    r.p50_ms = percentile(all, 0.5);
    r.p99_ms = percentile(all, 0.99);
    r.cpu_us_per_frame = all.empty() ? 0 : cpu * 1e6 / double(all.size());
    return r;
}

}  // namespace

int main(int argc, char** argv)
{
    double seconds = 3;
    if (argc == 3 && std::strcmp(argv[1], "--seconds") == 0)
        seconds = std::atof(argv[2]);
    else if (argc != 1) {
        std::fprintf(stderr, "usage: %s [--seconds S]\n", argv[0]);
        return 2;
    }
    set_log_level(LogLevel::warn);
    std::printf("protocol clients on the headless output (1280x720@60), each moving a 32x32 square in its own "
                "band of rows, %.0f s per point\n", seconds);
    std::printf("%-22s %8s %8s %10s %10s %14s %14s\n", "damage", "clients", "frames", "p50 ms", "p99 ms",
                "CPU us/frame", "x of 1 client");
    for (bool damage : {true, false}) {
        double one = 0;
        for (uint32_t n : {1u, 4u, 16u}) {
            const Result1 r = measure(n, damage, seconds);
            if (n == 1)
                one = r.cpu_us_per_frame;
            std::printf("%-22s %8u %8zu %10.2f %10.2f %14.1f %14.2f\n",
                        damage ? "sent by the client" : "none (pagemap scan)", n, r.frames, r.p50_ms, r.p99_ms,
                        r.cpu_us_per_frame, one > 0 ? r.cpu_us_per_frame / one : 0.0);
        }
    }
    return 0;
}
