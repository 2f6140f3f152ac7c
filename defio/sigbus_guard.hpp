// Copies to or from memory that can vanish under us: after a DRM device is
// unplugged its dumb-buffer mappings raise SIGBUS (a flush may be running),
// and a client may truncate the memfd of its lease while we read it. run_guarding_sigbus turns a SIGBUS on this thread, inside `fn`,
// into a `false` return. `fn` must own nothing that needs destroying (the
// handler jumps over its frame), e.g. a loop of memcpy calls.
#pragma once

#include <functional>

namespace udefio {

bool run_guarding_sigbus(const std::function<void()>& fn);

}  // namespace udefio
