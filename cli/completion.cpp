#include "cli/completion.hpp"

namespace berth::cli {
namespace {

// Where the words before the one being completed have led.
struct WalkState {
    const CLI::App* command = nullptr;
    const CLI::Option* awaiting_value = nullptr;  // the previous word was an option that takes a value
    size_t positionals = 0;
    bool options_ended = false;  // after "--"
};

const CLI::Option* find_option(const CLI::App& command, const std::string& word) {
    for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
        for (const auto* option : CommandTree::visible_options(*app)) {
            if (word.starts_with("--")) {
                for (const auto& name : option->get_lnames())
                    if (word.substr(2) == name) return option;
            } else {
                for (const auto& name : option->get_snames())
                    if (word.substr(1) == name) return option;
            }
        }
    }
    return nullptr;
}

const CLI::App* find_command(const CLI::App& parent, const std::string& name) {
    for (const auto* command : CommandTree::visible_commands(parent))
        if (command->get_name() == name) return command;
    return nullptr;
}

void walk_word(WalkState& state, const std::string& word) {
    if (state.awaiting_value != nullptr) {
        state.awaiting_value = nullptr;
        return;
    }
    if (!state.options_ended && word == "--") {
        state.options_ended = true;
        return;
    }
    if (!state.options_ended && word.size() > 1 && word.front() == '-') {
        if (word.find('=') != std::string::npos) return;
        const CLI::Option* option = find_option(*state.command, word.starts_with("--") ? word : word.substr(0, 2));
        if (option != nullptr && CommandTree::takes_value(*option) && (word.starts_with("--") || word.size() == 2))
            state.awaiting_value = option;
        return;
    }
    if (state.positionals == 0) {
        if (const CLI::App* command = find_command(*state.command, word)) {
            state.command = command;
            return;
        }
    }
    ++state.positionals;
}

void add_matching(Completion& completion, const std::string& prefix, const std::string& value,
                  const std::string& description) {
    if (value.starts_with(prefix)) completion.candidates.push_back({value, description});
}

void complete_value_kind(const CommandTree& tree, ValueKind kind, const std::string& prefix, Completion& completion,
                         const std::vector<std::string>& words = {}) {
    switch (kind) {
        case ValueKind::containers:
        case ValueKind::images:
            for (const auto& [name, description] : tree.names(kind, words))
                add_matching(completion, prefix, name, description);
            break;
        case ValueKind::commands:
            for (const auto* command : CommandTree::visible_commands(tree.root()))
                add_matching(completion, prefix, command->get_name(), command->get_description());
            break;
        case ValueKind::shells:
            for (const auto& shell : completion_shells) add_matching(completion, prefix, shell, "");
            break;
        case ValueKind::files:
        case ValueKind::directories: completion.fallback = kind; break;
        case ValueKind::none: break;
    }
}

void complete_option_value(const CommandTree& tree, const CLI::Option& option, const std::string& prefix,
                           Completion& completion) {
    for (const auto& choice : tree.choices(option)) add_matching(completion, prefix, choice, "");
    complete_value_kind(tree, tree.value_kind(option), prefix, completion);  // names only for arguments
}

void complete_option_names(const CLI::App& command, const std::string& prefix, Completion& completion) {
    for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
        for (const auto* option : CommandTree::visible_options(*app)) {
            for (const auto& name : option->get_lnames())
                add_matching(completion, prefix, "--" + name, option->get_description());
            if (prefix.size() <= 2)
                for (const auto& name : option->get_snames())
                    add_matching(completion, prefix, "-" + name, option->get_description());
        }
    }
}

}  // namespace

Completion complete_words(const CommandTree& tree, const std::vector<std::string>& words) {
    WalkState state;
    state.command = &tree.root();
    for (size_t i = 0; i + 1 < words.size(); ++i) walk_word(state, words[i]);
    const std::string current = words.empty() ? std::string() : words.back();

    Completion completion;
    if (state.awaiting_value != nullptr) {
        complete_option_value(tree, *state.awaiting_value, current, completion);
        return completion;
    }
    if (auto equals = current.find('='); current.starts_with("--") && equals != std::string::npos) {
        if (const CLI::Option* option = find_option(*state.command, current.substr(0, equals))) {
            Completion values;
            complete_option_value(tree, *option, current.substr(equals + 1), values);
            for (auto& candidate : values.candidates) candidate.value = current.substr(0, equals + 1) + candidate.value;
            return values;
        }
        return completion;
    }
    if (!state.options_ended && current.starts_with("-")) {
        complete_option_names(*state.command, current, completion);
        return completion;
    }
    if (state.positionals == 0)
        for (const auto* command : CommandTree::visible_commands(*state.command))
            add_matching(completion, current, command->get_name(), command->get_description());
    // A command that takes a command line after its first word (run IMAGE CMD..., exec CONTAINER CMD...) gets names
    // for that first word only.
    if (state.positionals == 0 || !state.command->get_prefix_command())
        complete_value_kind(tree, tree.help(*state.command).arguments, current, completion, words);
    return completion;
}

std::string format_completion(const Completion& completion) {
    std::string out;
    for (const auto& candidate : completion.candidates) {
        out += candidate.value;
        if (!candidate.description.empty()) out += "\t" + candidate.description;
        out += "\n";
    }
    switch (completion.fallback) {
        case ValueKind::files: out += ":files\n"; break;
        case ValueKind::directories: out += ":dirs\n"; break;
        default: out += ":none\n"; break;
    }
    return out;
}

namespace {

constexpr const char* bash_script = R"(# bash completion for berth                                -*- shell-script -*-
# Candidates come from `berth __complete WORDS...`: "value<TAB>description" lines, then
# ":files", ":dirs" or ":none".

_berth() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n =: cur words cword
    else
        cur=${COMP_WORDS[COMP_CWORD]} words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local output
    output=$("${words[0]}" __complete "${words[@]:1:cword-1}" "$cur" 2>/dev/null) || return 0
    local line directive=":none"
    COMPREPLY=()
    while IFS= read -r line; do
        case $line in
            :*) directive=$line ;;
            *) COMPREPLY+=("${line%%$'\t'*}") ;;
        esac
    done <<<"$output"
    case $directive in
        :files) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- "$cur")) ;;
        :dirs) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "$cur")) ;;
    esac
    # Bash replaces only the text after "=" (a word break): drop "--option=" from the answers.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        local prefix=${cur%%=*}=
        COMPREPLY=("${COMPREPLY[@]#"$prefix"}")
    fi
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
    return 0
}

complete -F _berth berth
)";

constexpr const char* zsh_script = R"(#compdef berth
# zsh completion for berth.
# Candidates come from `berth __complete WORDS...`: "value<TAB>description" lines, then
# ":files", ":dirs" or ":none".

_berth() {
    local -a lines candidates
    local line directive=":none"
    lines=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
    for line in "${lines[@]}"; do
        case $line in
            :*) directive=$line ;;
            *$'\t'*) candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}") ;;
            ?*) candidates+=("${line//:/\\:}") ;;
        esac
    done
    (( ${#candidates} )) && _describe -t berth 'berth' candidates
    case $directive in
        :files) _files ;;
        :dirs) _files -/ ;;
    esac
}

if [ "$funcstack[1]" = "_berth" ]; then
    _berth "$@"
else
    compdef _berth berth
fi
)";

constexpr const char* fish_script = R"(# fish completion for berth.
# Candidates come from `berth __complete WORDS...`: "value<TAB>description" lines, then
# ":files", ":dirs" or ":none".

function __berth_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l directive :none
    for line in ($words[1] __complete $words[2..-1] $current 2>/dev/null)
        switch $line
            case ':*'
                set directive $line
            case '*'
                echo $line
        end
    end
    switch $directive
        case :files
            __fish_complete_path $current
        case :dirs
            __fish_complete_directories $current
    end
end

complete -c berth -f -a '(__berth_complete)'
)";

}  // namespace

std::optional<std::string> completion_script(const std::string& shell) {
    if (shell == "bash") return bash_script;
    if (shell == "zsh") return zsh_script;
    if (shell == "fish") return fish_script;
    return std::nullopt;
}

}  // namespace berth::cli
