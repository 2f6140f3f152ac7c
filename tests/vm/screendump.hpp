// A screendump of the guest's display, taken by the host (tests/vm/guest.py
// answers "UDEFIO-SCREENDUMP name" on the console with "done" or "failed").
#pragma once

#include <cstdio>
#include <iostream>
#include <string>

namespace udefio::test {

inline bool screendump(const std::string& name)
{
    std::printf("UDEFIO-SCREENDUMP %s\n", name.c_str());
    std::fflush(stdout);
    std::string answer;
    while (std::getline(std::cin, answer)) {
        if (answer.find("done") != std::string::npos)
            return true;
        if (answer.find("failed") != std::string::npos)
            return false;
    }
    return false;
}

}  // namespace udefio::test
