#include "defio/trackers/write_fault_router.hpp"

#include <signal.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/fault_signal_chain.hpp"
#include "util/log.hpp"

namespace udefio {
namespace {

// A slot is published by storing `client` last (release) and read by loading
// it first (acquire), so the handler never sees a half-written slot.
struct Slot {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<WriteFaultClient*> client{nullptr};
};

constexpr size_t kSlots = 64;  // ranges tracked at once: one per tracked buffer
std::array<Slot, kSlots> g_slots;

// Handlers between entry and exit; remove waits for it to reach 0 after
// clearing its slot, so no handler still uses a client being destroyed.
std::atomic<int> g_in_flight{0};

// Protects g_chain's installation, g_installed and the choice of a free slot.
// Taken by add/remove only, never by the signal handler.
std::mutex g_registry_mutex;
FaultSignalChain g_chain;
bool g_installed = false;

void on_sigsegv(int sig, siginfo_t* info, void* context)
{
    const int saved_errno = errno;
    const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
    g_in_flight.fetch_add(1, std::memory_order_seq_cst);
    WriteFaultClient* owner = nullptr;
    if (info->si_code == SEGV_ACCERR) {
        for (Slot& slot : g_slots) {
            WriteFaultClient* client = slot.client.load(std::memory_order_acquire);
            if (client && address >= slot.begin.load(std::memory_order_relaxed) &&
                address < slot.end.load(std::memory_order_relaxed)) {
                owner = client;
                owner->on_write_fault(static_cast<std::byte*>(info->si_addr));
                break;
            }
        }
    }
    g_in_flight.fetch_sub(1, std::memory_order_seq_cst);
    errno = saved_errno;
    if (!owner)
        g_chain.forward(sig, info, context);
}

}  // namespace

Result<void> add_write_fault_range(std::span<std::byte> range, WriteFaultClient& client)
{
    std::lock_guard lock(g_registry_mutex);
    if (!g_installed) {
        if (auto r = g_chain.install(SIGSEGV, on_sigsegv, SA_RESTART | SA_NODEFER); !r)
            return Error{r.error().code, r.error().what + " for write tracking"};
        g_installed = true;
    }
    for (Slot& slot : g_slots) {
        if (slot.client.load(std::memory_order_relaxed) != nullptr)
            continue;
        slot.begin.store(reinterpret_cast<uintptr_t>(range.data()), std::memory_order_relaxed);
        slot.end.store(reinterpret_cast<uintptr_t>(range.data() + range.size()), std::memory_order_relaxed);
        slot.client.store(&client, std::memory_order_release);
        return {};
    }
    return plain_error("write fault tracking: all " + std::to_string(kSlots) + " ranges are in use");
}

void remove_write_fault_range(std::span<std::byte> range, WriteFaultClient& client)
{
    if (::mprotect(range.data(), range.size(), PROT_READ | PROT_WRITE) != 0)
        UDEFIO_LOG(error, "mprotect(PROT_READ|PROT_WRITE) of a buffer no longer tracked failed: %s",
                   std::strerror(errno));
    std::lock_guard lock(g_registry_mutex);
    for (Slot& slot : g_slots) {
        if (slot.client.load(std::memory_order_relaxed) == &client)
            slot.client.store(nullptr, std::memory_order_seq_cst);
    }
    // A handler that loaded the client before the store above counted itself
    // in first; handlers are short and never block, so this wait is brief.
    while (g_in_flight.load(std::memory_order_seq_cst) != 0)
        std::this_thread::yield();
}

}  // namespace udefio
