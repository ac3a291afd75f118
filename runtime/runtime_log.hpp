// berth-runtime's log in runc's formats, which conmon and containerd-shim read: logrus' text
// (time="..." level=error msg="...") or JSON ({"level":"error","msg":"...","time":"..."}), to --log or stderr.
#pragma once

#include <string>
#include <string_view>

namespace berth::runtime {

enum class LogFormat { text, json };

struct RuntimeLog {
    std::string path;  // "" logs to stderr
    LogFormat format = LogFormat::text;
    bool debug = false;

    // One entry; with a log file, an error also goes to stderr as its bare message (runc does the same).
    void write(std::string_view level, std::string_view message) const;
    void error(std::string_view message) const;
    void debug_message(std::string_view message) const;
};

// "text" or "json"; throws Error("invalid log-format: xml").
LogFormat parse_log_format(std::string_view name);

}  // namespace berth::runtime
