// udefio_begin_access/udefio_end_access: libwayland's wl_shm SIGBUS guard,
// on the client side. While a thread accesses a lease, a SIGBUS inside it
// (the lease was revoked: its memfd truncated) maps anonymous zero pages over
// the lease and lets the access finish; end_access then reports it. A SIGBUS
// anywhere else goes to whoever handled SIGBUS before us.
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "udefio/udefio-client.h"
#include "util/fault_signal_chain.hpp"

namespace {

struct Guarded {
    std::byte* start = nullptr;
    size_t size = 0;
    bool revoked = false;
};

thread_local Guarded t_guarded;  // the buffer this thread is accessing, if any
udefio::FaultSignalChain g_chain;  // installed once, before our handler can run
std::once_flag g_installed;

void on_sigbus(int signo, siginfo_t* info, void* context)
{
    auto* address = static_cast<std::byte*>(info->si_addr);
    Guarded& g = t_guarded;
    if (g.start && address >= g.start && address < g.start + g.size) {
        // Zero pages where the lease was; the access that faulted retries on them.
        if (::mmap(g.start, g.size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
            MAP_FAILED) {
            g.revoked = true;
            return;
        }
    }
    // Not ours, or no room to recover: what was there before us (or the default action).
    g_chain.forward(signo, info, context);
}

void install() { (void)g_chain.install(SIGBUS, on_sigbus, SA_NODEFER); }

}  // namespace

extern "C" void udefio_begin_access(struct udefio_buffer* buffer)
{
    std::call_once(g_installed, install);
    t_guarded = {static_cast<std::byte*>(buffer->data), buffer->size, false};
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

extern "C" int udefio_end_access(struct udefio_buffer* buffer)
{
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const bool revoked = t_guarded.revoked && t_guarded.start == buffer->data;
    t_guarded = {};
    return revoked ? -1 : 0;
}
