// A whole file as a string, for tests that read what a program wrote.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace udefio::test {

// "" if it cannot be read (yet: a program still starting).
inline std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace udefio::test
