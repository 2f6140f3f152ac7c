#include "util/fault_signal_chain.hpp"

namespace udefio {

Result<void> FaultSignalChain::install(int signo, Handler handler, int flags)
{
    struct sigaction action {};
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&action.sa_mask);
    if (::sigaction(signo, &action, &previous_) != 0)
        return errno_error("sigaction(" + std::string(sigabbrev_np(signo) ? sigabbrev_np(signo) : "?") + ")");
    return {};
}

void FaultSignalChain::forward(int signo, siginfo_t* info, void* context) const
{
    if ((previous_.sa_flags & SA_SIGINFO) && previous_.sa_sigaction) {
        previous_.sa_sigaction(signo, info, context);
        return;
    }
    if (!(previous_.sa_flags & SA_SIGINFO) && previous_.sa_handler != SIG_DFL && previous_.sa_handler != SIG_IGN) {
        previous_.sa_handler(signo);
        return;
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(signo, &dfl, nullptr);
}

}  // namespace udefio
