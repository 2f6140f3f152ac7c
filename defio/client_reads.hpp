// Reads of a client's pixels while the client may be writing them: the
// design of deferred I/O (the kernel's fb_defio copies the same way). A torn
// read is harmless because the page was reported written and is read again
// after the write. ThreadSanitizer cannot know that, so code that reads
// client pixels opens a ClientReadScope, which hides just those reads from it.
#pragma once

#include <functional>

#include "defio/sigbus_guard.hpp"

#if defined(__SANITIZE_THREAD__)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace udefio {

class ClientReadScope {
public:
#if defined(__SANITIZE_THREAD__)
    ClientReadScope() { AnnotateIgnoreReadsBegin(__FILE__, __LINE__); }
    ~ClientReadScope() { AnnotateIgnoreReadsEnd(__FILE__, __LINE__); }
#else
    ClientReadScope() = default;
#endif
    ClientReadScope(const ClientReadScope&) = delete;
    ClientReadScope& operator=(const ClientReadScope&) = delete;
};

// run_guarding_sigbus(fn) with fn's reads hidden as above. Not a
// ClientReadScope around the guard: ThreadSanitizer lifts a thread's ignores
// while a signal handler runs, and the SIGBUS handler's jump out does not
// put them back, so the scope's end would find none to end (a CHECK failure
// of the TSan runtime). Here the ignore begins inside the guarded code and
// ends there, or is ended by the jump.
inline bool read_client_pixels_guarding_sigbus(const std::function<void()>& fn)
{
    return run_guarding_sigbus([&] {
#if defined(__SANITIZE_THREAD__)
        AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
        fn();
#if defined(__SANITIZE_THREAD__)
        AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
    });
}

}  // namespace udefio
