// The configuration file: every option of the command line, read with
// CLI11's config support (INI/TOML: `key = value`, a command's options under
// `[kiosk]`, `[demo]`, `[profile]`). `--config FILE`, else the default file
// (@sysconfdir@/udefio/udefio.conf) if it is there; the command line wins
// over the file. A key that names no option is an error naming the file and
// the key. docs/DEPLOYING.md has an example.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace udefio::cli {

// Adds --config to `app` (before its commands, whose options the file may set).
void add_config_file(CLI::App& app);
// A parse error that came from the file, said with the file's name; nullopt
// when `error` is not about the file.
std::optional<std::string> config_error(const CLI::App& app, const CLI::ParseError& error);
// Once the log is set up: which file the options were read from, if any.
void log_config_file(const CLI::App& app);

}  // namespace udefio::cli
