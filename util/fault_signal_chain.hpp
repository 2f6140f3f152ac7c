// One handler of a synchronous fault signal (SIGSEGV, SIGBUS) that takes the
// faults that are its own and passes every other one on to what was installed
// before it: another handler (a sanitizer's, the application's), or the
// default action. A fault that nobody handles must still kill the process as
// it would without us, with its core dump.
#pragma once

#include <signal.h>

#include "util/result.hpp"

namespace udefio {

class FaultSignalChain {
public:
    using Handler = void (*)(int, siginfo_t*, void*);

    // Installs `handler` (SA_SIGINFO | `flags`) for `signo` and remembers the
    // previous disposition. Once, before the handler can run.
    Result<void> install(int signo, Handler handler, int flags);

    // From inside the handler, for a fault that is not ours. The previous
    // handler runs if there was one. If there was none (SIG_DFL, or SIG_IGN,
    // which the kernel does not honour for a fault either: it forces the
    // default action) the default disposition is restored, and the faulting
    // access, retried when the handler returns, takes it. Async-signal-safe.
    void forward(int signo, siginfo_t* info, void* context) const;

private:
    struct sigaction previous_ {};
};

}  // namespace udefio
