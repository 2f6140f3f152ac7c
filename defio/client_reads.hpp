// Reads of a client's pixels while the client may be writing them: the
// design of deferred I/O (the kernel's fb_defio copies the same way). A torn
// read is harmless because the page was reported written and is read again
// after the write. ThreadSanitizer cannot know that, so code that reads
// client pixels opens a ClientReadScope, which hides just those reads from it.
#pragma once

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

}  // namespace udefio
