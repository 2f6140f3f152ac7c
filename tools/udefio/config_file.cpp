#include "tools/udefio/config_file.hpp"

#include <sys/stat.h>

#include "util/log.hpp"

#ifndef UDEFIO_CONFIG_FILE
#define UDEFIO_CONFIG_FILE "/etc/udefio/udefio.conf"
#endif

namespace udefio::cli {

namespace {

std::string config_path(const CLI::App& app)
{
    const CLI::Option* option = app.get_config_ptr();
    if (!option)
        return {};
    if (option->count() > 0)
        return option->as<std::string>();
    return UDEFIO_CONFIG_FILE;
}

bool is_file(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

void add_config_file(CLI::App& app)
{
    app.set_config("--config", UDEFIO_CONFIG_FILE,
                   "Read options from this file first (INI: `key = value`, a command's options under `[kiosk]`, "
                   "`[demo]`, `[profile]`); the command line wins. Default: " UDEFIO_CONFIG_FILE " if it exists",
                   false);
    // A key that names no option is a mistake, not something to skip.
    app.allow_config_extras(CLI::config_extras_mode::error);
}

std::optional<std::string> config_error(const CLI::App& app, const CLI::ParseError& error)
{
    const std::string what = error.what();
    const std::string path = config_path(app);
    static const std::string extras = "INI was not able to parse ";
    if (what.rfind(extras, 0) == 0) {
        const std::string key = what.substr(extras.size());
        static const std::string section = ".++";  // CLI11's item for a section's header
        const bool is_section = key.size() > section.size() && key.ends_with(section);
        return "config file " + path + ": unknown " +
               (is_section ? "section [" + key.substr(0, key.size() - section.size()) + "]" : "key '" + key + "'") +
               " (keys are the long options without '--'; a command's under [demo], [profile] or [kiosk])";
    }
    if (dynamic_cast<const CLI::FileError*>(&error))
        return "config file " + path + ": cannot read it (" + what + ")";
    if (dynamic_cast<const CLI::ConfigError*>(&error))
        return "config file " + path + ": " + what;
    return std::nullopt;
}

void log_config_file(const CLI::App& app)
{
    const std::string path = config_path(app);
    if (is_file(path))
        UDEFIO_LOG(info, "options read from %s (the command line wins over it)", path.c_str());
    else
        UDEFIO_LOG(debug, "no config file at %s", path.c_str());
}

}  // namespace udefio::cli
