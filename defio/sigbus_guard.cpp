#include "defio/sigbus_guard.hpp"

#include <setjmp.h>
#include <signal.h>

#include <mutex>

#include "util/fault_signal_chain.hpp"

namespace udefio {
namespace {

thread_local sigjmp_buf* t_guard = nullptr;  // set while this thread runs a guarded fn
FaultSignalChain g_chain;

void on_sigbus(int sig, siginfo_t* info, void* context)
{
    if (t_guard)
        siglongjmp(*t_guard, 1);
    g_chain.forward(sig, info, context);
}

void install_once()
{
    static std::once_flag once;
    std::call_once(once, [] { (void)g_chain.install(SIGBUS, on_sigbus, 0); });
}

}  // namespace

bool run_guarding_sigbus(const std::function<void()>& fn)
{
    install_once();
    sigjmp_buf guard;
    if (sigsetjmp(guard, 1) != 0) {
        t_guard = nullptr;
        return false;
    }
    t_guard = &guard;
    fn();
    t_guard = nullptr;
    return true;
}

}  // namespace udefio
