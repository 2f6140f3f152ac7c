// What /proc says about a task of the program.
#pragma once

#include <sys/types.h>

namespace udefio::fbdev {

// The process (thread group) of thread `tid`; 0 if it is gone.
pid_t thread_group_of(pid_t tid);

}  // namespace udefio::fbdev
