// An option's word as one of the values it names (`--restart on-failure`),
// or an error that lists them, the same for every such option.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.hpp"

namespace udefio {

template <class T>
Result<T> parse_choice(std::string_view option, const std::string& word,
                       std::initializer_list<std::pair<std::string_view, T>> choices)
{
    std::string known;
    for (const auto& [name, value] : choices) {
        if (name == word)
            return value;
        known += (known.empty() ? "" : ", ") + std::string(name);
    }
    return plain_error(std::string(option) + " '" + word + "': unknown (known: " + known + ")");
}

}  // namespace udefio
