#include "defio/sigbus_guard.hpp"

#include <setjmp.h>
#include <signal.h>

#include <mutex>

namespace udefio {
namespace {

thread_local sigjmp_buf* t_guard = nullptr;  // set while this thread runs a guarded fn
struct sigaction g_previous;

void on_sigbus(int sig, siginfo_t* info, void* context)
{
    if (t_guard)
        siglongjmp(*t_guard, 1);
    // Not ours: the previous handler, or the default action on the retried access.
    if (g_previous.sa_flags & SA_SIGINFO) {
        g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    } else {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(sig, &dfl, nullptr);
    }
}

void install_once()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action {};
        action.sa_sigaction = on_sigbus;
        action.sa_flags = SA_SIGINFO;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGBUS, &action, &g_previous);
    });
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
