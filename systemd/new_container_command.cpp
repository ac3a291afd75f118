#include "systemd/new_container_command.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/error.hpp"

namespace berth::systemd {

namespace {

// Options of run/create that a --new unit sets itself, and whether they take a value.
struct DroppedOption {
    std::string_view name;
    bool takes_value;
};
constexpr std::array dropped_options{
    DroppedOption{"-d", false},        DroppedOption{"--detach", false},  DroppedOption{"--rm", false},
    DroppedOption{"--replace", false}, DroppedOption{"--name", true},     DroppedOption{"--cidfile", true},
    DroppedOption{"--cgroups", true},  DroppedOption{"--sdnotify", true},
};

// How many words the option at `word` spans when it is one to drop (1 or 2), else 0.
size_t dropped_span(std::string_view word, bool has_next) {
    for (const auto& option : dropped_options) {
        if (word == option.name) return option.takes_value && has_next ? 2 : 1;
        if (word.starts_with(option.name) && word.size() > option.name.size() && word[option.name.size()] == '=')
            return 1;
    }
    return 0;
}

// The index of the `create` or `run` word: the first one, after any global options.
size_t subcommand_index(const std::vector<std::string>& words) {
    for (size_t index = 1; index < words.size(); ++index)
        if (words[index] == "create" || words[index] == "run") return index;
    throw Error("cannot find a create or run command in the container's create command \"" +
                (words.empty() ? std::string() : words.front()) + " ...\"");
}

}  // namespace

std::vector<std::string> new_container_command(const std::vector<std::string>& create_command,
                                               size_t trailing_arguments, const std::string& executable,
                                               const std::string& name) {
    size_t subcommand = subcommand_index(create_command);
    size_t options_end = create_command.size() - std::min(trailing_arguments, create_command.size() - subcommand - 1);
    std::vector<std::string> words{executable};
    for (size_t index = 1; index < subcommand; ++index)
        if (create_command[index] != "container") words.push_back(create_command[index]);
    words.insert(words.end(),
                 {"run", "--cidfile=%t/%n.ctr-id", "--rm", "--sdnotify=conmon", "-d", "--replace", "--name", name});
    for (size_t index = subcommand + 1; index < options_end;) {
        size_t span = dropped_span(create_command[index], index + 1 < options_end);
        if (span == 0) words.push_back(create_command[index]);
        index += std::max<size_t>(span, 1);
    }
    words.insert(words.end(), create_command.begin() + static_cast<std::ptrdiff_t>(options_end), create_command.end());
    return words;
}

}  // namespace berth::systemd
