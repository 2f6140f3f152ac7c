#include "fbdev/proc_task.hpp"

#include <fstream>
#include <string>

namespace udefio::fbdev {

pid_t thread_group_of(pid_t tid)
{
    std::ifstream status("/proc/" + std::to_string(tid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "Tgid:") {
            pid_t tgid = 0;
            status >> tgid;
            return tgid;
        }
    }
    return 0;
}

}  // namespace udefio::fbdev
