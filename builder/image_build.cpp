#include "builder/image_build.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "builder/build_cache.hpp"
#include "builder/containerfile.hpp"
#include "builder/copy_sources.hpp"
#include "builder/ignore_rules.hpp"
#include "builder/image_config.hpp"
#include "builder/run_mounts.hpp"
#include "builder/word_expansion.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/lexical_path.hpp"
#include "common/log.hpp"
#include "engine/container_create.hpp"
#include "engine/image_commands.hpp"
#include "storage/blob_store.hpp"
#include "storage/layer_diff.hpp"
#include "transport/container_commit.hpp"

namespace berth::builder {
namespace {

using nlohmann::json;

struct Stage {
    std::string name;                           // AS name, else its index
    std::optional<storage::ImageRecord> image;  // the last image committed (the base at first); none: scratch
    json config = json::object();               // the image config's "config" object as it stands
    std::string author;
    std::vector<json> history;  // entries since `image`
    std::string key;            // the cache key so far
    Variables args;             // the ARGs declared in the stage, with their values
    std::vector<std::string> shell{"/bin/sh", "-c"};
    bool cmd_set = false;
};

std::string short_id(const std::string& id) { return id.substr(id.find(':') + 1, 12); }

std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::string clean_absolute(const std::string& path) {
    auto parts = lexical_components(path);
    std::string out;
    if (parts)
        for (const auto& part : *parts) out += "/" + part;
    return out.empty() ? "/" : out;
}

class Builder {
public:
    Builder(const BuildOptions& options, const BuildHost& host)
        : options_(options), host_(host), cache_(host.graph_root) {
        file_ = parse_containerfile(options.containerfile, options.containerfile_name);
        for (const char* name : {".containerignore", ".dockerignore"})
            if (auto text = read_file_if_exists(options.context_dir + "/" + name)) {
                rules_ = IgnoreRules::parse(*text);
                break;
            }
    }

    std::string build() {
        auto stages = split_stages();
        size_t last = stages.size() - 1;
        if (!options_.target.empty()) last = target_index(stages);
        for (size_t i = 0; i <= last; ++i) {
            stage_number_ = i + 1;
            stage_count_ = last + 1;
            step_ = 0;
            step_total_ = stages[i].size();
            Stage stage;
            for (const auto* instruction : stages[i]) run_step(stage, *instruction);
            if (i == last) {
                warn_unconsumed();
                return finish(stage);
            }
            finished_.push_back(std::move(stage));
        }
        throw Error("no build stage in " + options_.containerfile_name);
    }

private:
    // The instructions of each stage, FROM first; the ARGs before the first FROM become the global ones.
    std::vector<std::vector<const Instruction*>> split_stages() {
        std::vector<std::vector<const Instruction*>> stages;
        for (const auto& instruction : file_.instructions) {
            if (instruction.keyword == "FROM") stages.emplace_back();
            if (stages.empty()) {
                if (instruction.keyword != "ARG")
                    throw error_at(instruction, "no build stage in current context: " + instruction.keyword +
                                                    " before the first FROM");
                declare_args(instruction, global_args_, global_args_);
                continue;
            }
            stages.back().push_back(&instruction);
        }
        if (stages.empty()) throw Error(options_.containerfile_name + ": no FROM instruction");
        return stages;
    }

    size_t target_index(const std::vector<std::vector<const Instruction*>>& stages) {
        for (size_t i = 0; i < stages.size(); ++i)
            if (stage_alias(*stages[i].front()) == options_.target) return i;
        throw Error("the target \"" + options_.target + "\" was not found in the provided Dockerfile");
    }

    std::string stage_alias(const Instruction& from) {
        auto words = split_words(from.arguments, file_.escape);
        if (words.size() == 3 && upper(words[1]) == "AS") return words[2];
        return "";
    }

    Error error_at(const Instruction& instruction, const std::string& why, int status = exit_berth_error) {
        return Error(options_.containerfile_name + ":" + std::to_string(instruction.line) + ": building at STEP \"" +
                         instruction.text + "\": " + why,
                     status);
    }

    void report(const std::string& line) {
        if (options_.report) options_.report(line);
    }

    // ---- variables ----

    Variables variables(const Stage& stage) {
        Variables out = stage.args;
        for (auto& [key, value] : env_of(stage.config)) out[key] = value;
        return out;
    }

    std::string expand(const Stage& stage, const std::string& text) {
        WordOptions word_options{file_.escape, &used_};
        return expand_word(text, variables(stage), word_options);
    }

    std::vector<std::string> expand_list(const Stage& stage, const std::string& text) {
        WordOptions word_options{file_.escape, &used_};
        return expand_words(text, variables(stage), word_options);
    }

    // ARG name[=default] ...: a --build-arg wins, then the default, then (in a stage) the global value.
    void declare_args(const Instruction& instruction, Variables& into, const Variables& scope) {
        for (const auto& word : split_words(instruction.arguments, file_.escape)) {
            size_t equals = word.find('=');
            std::string name = word.substr(0, equals);
            consumed_.insert(name);
            if (auto given = options_.build_args.find(name); given != options_.build_args.end()) {
                into[name] = given->second;
            } else if (equals != std::string::npos) {
                WordOptions word_options{file_.escape, &used_};
                into[name] = expand_word(word.substr(equals + 1), scope, word_options);
            } else if (auto global = global_args_.find(name); global != global_args_.end()) {
                into[name] = global->second;
            }
        }
    }

    // KEY=VALUE pairs (or the legacy "KEY VALUE...") of ENV and LABEL, expanded.
    std::vector<std::pair<std::string, std::string>> pairs(const Stage& stage, const Instruction& instruction) {
        auto words = split_words(instruction.arguments, file_.escape);
        std::vector<std::pair<std::string, std::string>> out;
        if (words.empty()) return out;
        if (words.front().find('=') == std::string::npos) {
            std::string rest =
                instruction.arguments.substr(instruction.arguments.find(words.front()) + words.front().size());
            size_t start = rest.find_first_not_of(" \t");
            if (start == std::string::npos) throw Error(instruction.keyword + " names can not be blank");
            out.emplace_back(expand(stage, words.front()), expand(stage, rest.substr(start)));
            return out;
        }
        for (const auto& word : words) {
            size_t equals = word.find('=');
            if (equals == std::string::npos || equals == 0)
                throw Error("Syntax error - can't find = in \"" + word + "\". Must be of the form: name=value");
            out.emplace_back(expand(stage, word.substr(0, equals)), expand(stage, word.substr(equals + 1)));
        }
        return out;
    }

    std::string used_values(const Stage& stage) {
        auto all = variables(stage);
        std::string out;
        for (const auto& name : used_)
            if (auto found = all.find(name); found != all.end()) out += name + "=" + found->second + "\n";
        return out;
    }

    // ---- steps ----

    void run_step(Stage& stage, const Instruction& instruction) {
        ++step_;
        std::string prefix =
            stage_count_ > 1 ? "[" + std::to_string(stage_number_) + "/" + std::to_string(stage_count_) + "] " : "";
        report(prefix + "STEP " + std::to_string(step_) + "/" + std::to_string(step_total_) + ": " + instruction.text);
        used_.clear();
        try {
            apply(stage, instruction);
        } catch (const Error& error) {
            std::string message = error.what();
            if (message.starts_with(options_.containerfile_name + ":")) throw;
            throw error_at(instruction, message, error.exit_status());
        }
    }

    void apply(Stage& stage, const Instruction& instruction) {
        const std::string& keyword = instruction.keyword;
        if (keyword == "FROM") return from(stage, instruction);
        if (keyword == "RUN") return run(stage, instruction);
        if (keyword == "COPY" || keyword == "ADD") return copy(stage, instruction);
        metadata(stage, instruction);
        stage.key = BuildCache::step_key(stage.key, instruction.text + "\n" + used_values(stage));
        json entry = {{"created", transport::timestamp_now()},
                      {"created_by", "/bin/sh -c #(nop) " + instruction.text},
                      {"empty_layer", true}};
        if (!stage.author.empty()) entry["author"] = stage.author;
        stage.history.push_back(entry);
    }

    json image_config(const storage::ImageRecord& image) {
        json config = json::parse(storage::BlobStore(host_.graph_root).read(image.id));
        json settings = config.value("config", json::object());
        return settings.is_object() ? settings : json::object();
    }

    void from(Stage& stage, const Instruction& instruction) {
        WordOptions word_options{file_.escape, &used_};
        auto words = expand_words(instruction.arguments, global_args_, word_options);
        if (words.size() != 1 && !(words.size() == 3 && upper(words[1]) == "AS"))
            throw Error("FROM requires either one or three arguments");
        std::string base = words[0];
        std::string alias = words.size() == 3 ? words[2] : std::to_string(stage_number_ - 1);
        if (const Stage* earlier = stage_named(base)) {
            stage = *earlier;
        } else if (base == "scratch") {
            stage = Stage{};
            stage.key = "scratch";
        } else {
            stage = Stage{};
            stage.image = host_.image(base);
            stage.config = image_config(*stage.image);
            stage.key = stage.image->id;
        }
        stage.name = alias;
        stage.args.clear();
        stage.cmd_set = false;
        run_triggers(stage);
    }

    // The base image's ONBUILD instructions, run now as if they followed FROM; the new image does not keep them.
    void run_triggers(Stage& stage) {
        if (!stage.config.contains("OnBuild") || !stage.config["OnBuild"].is_array()) return;
        json triggers = stage.config["OnBuild"];
        stage.config.erase("OnBuild");
        for (const auto& trigger : triggers) {
            if (!trigger.is_string()) continue;
            auto parsed = parse_containerfile(trigger.get<std::string>(), "ONBUILD");
            for (const auto& instruction : parsed.instructions) {
                if (instruction.keyword == "FROM" || instruction.keyword == "ONBUILD" ||
                    instruction.keyword == "MAINTAINER")
                    throw Error("ONBUILD " + instruction.keyword + " is not allowed");
                report("--> ONBUILD " + instruction.text);
                apply(stage, instruction);
            }
        }
    }

    const Stage* stage_named(const std::string& name) {
        for (const auto& earlier : finished_)
            if (earlier.name == name) return &earlier;
        return nullptr;
    }

    void metadata(Stage& stage, const Instruction& instruction) {
        const std::string& keyword = instruction.keyword;
        json& config = stage.config;
        if (keyword == "ARG") {
            declare_args(instruction, stage.args, variables(stage));
            for (const auto& word : split_words(instruction.arguments, file_.escape))
                used_.insert(word.substr(0, word.find('=')));
        } else if (keyword == "ENV") {
            for (const auto& [key, value] : pairs(stage, instruction)) set_env(config, key, value);
        } else if (keyword == "LABEL") {
            for (const auto& [key, value] : pairs(stage, instruction)) config["Labels"][key] = value;
        } else if (keyword == "MAINTAINER") {
            stage.author = expand(stage, instruction.arguments);
        } else if (keyword == "WORKDIR") {
            std::string path = expand(stage, instruction.arguments);
            std::string current = config.value("WorkingDir", "");
            config["WorkingDir"] =
                clean_absolute(path.starts_with("/") ? path : (current.empty() ? "/" : current) + "/" + path);
        } else if (keyword == "USER") {
            config["User"] = expand(stage, instruction.arguments);
        } else if (keyword == "EXPOSE") {
            for (auto port : expand_list(stage, instruction.arguments)) {
                if (port.find('/') == std::string::npos) port += "/tcp";
                config["ExposedPorts"][port] = json::object();
            }
        } else if (keyword == "CMD") {
            config["Cmd"] = command_of(stage, instruction);
            stage.cmd_set = true;
        } else if (keyword == "ENTRYPOINT") {
            config["Entrypoint"] = command_of(stage, instruction);
            if (!stage.cmd_set) config.erase("Cmd");
        } else if (keyword == "VOLUME") {
            auto paths = instruction.json_form ? instruction.words : expand_list(stage, instruction.arguments);
            for (const auto& path : paths) config["Volumes"][path] = json::object();
        } else if (keyword == "STOPSIGNAL") {
            config["StopSignal"] = expand(stage, instruction.arguments);
        } else if (keyword == "SHELL") {
            if (!instruction.json_form || instruction.words.empty())
                throw Error("SHELL requires the arguments to be in JSON form");
            stage.shell = instruction.words;
        } else if (keyword == "HEALTHCHECK") {
            if (options_.format == transport::ManifestFormat::oci)  // the OCI config has no place for it (buildah)
                log_warning(
                    "HEALTHCHECK is not supported for OCI image format and will be ignored. Must use "
                    "`docker` format");
            else
                stage.config["Healthcheck"] = healthcheck_config(instruction);
        } else if (keyword == "ONBUILD") {
            config["OnBuild"].push_back(instruction.arguments);
        }
    }

    std::vector<std::string> command_of(const Stage& stage, const Instruction& instruction) {
        if (instruction.json_form) return instruction.words;
        auto command = stage.shell;
        command.push_back(instruction.arguments);
        return command;
    }

    // ---- RUN ----

    std::vector<std::string> run_command(const Stage& stage, const Instruction& instruction) {
        if (instruction.json_form) return instruction.words;
        auto command = stage.shell;
        std::string script = instruction.arguments;
        if (!instruction.heredocs.empty()) {
            std::string opener = script;
            opener.erase(0, opener.find_first_not_of(" \t"));
            if (opener.starts_with("<<") && instruction.heredocs.size() == 1 &&
                opener.find_first_of(" \t") == std::string::npos) {
                script = instruction.heredocs.front().content;  // the heredoc is the script
            } else {
                for (const auto& heredoc : instruction.heredocs) script += "\n" + heredoc.content + heredoc.name;
            }
        }
        command.push_back(script);
        return command;
    }

    engine::RunOptions run_options(const Stage& stage, const Instruction& instruction) {
        engine::RunOptions run;
        run.command = run_command(stage, instruction);
        run.entrypoint = std::string();
        auto env = env_of(stage.config);
        for (const auto& [key, value] : stage.args)
            if (!env.count(key)) run.env.emplace_back(key, value);
        for (const auto& [key, value] : env) run.env.emplace_back(key, value);
        run.workdir = stage.config.value("WorkingDir", "");
        run.user = stage.config.value("User", "");
        run.network = flag_value(instruction, "network", options_.network);
        run.cap_add = options_.cap_add;
        run.mounts = options_.volumes;
        for (const auto& flag : instruction.flags)
            if (flag.starts_with("--mount="))
                run.mounts.push_back(
                    run_mount(flag.substr(8), options_.context_dir, host_.graph_root, options_.secrets));
        return run;
    }

    std::string run_key(const Stage& stage, const Instruction& instruction) {
        std::string text = "RUN\n" + instruction.text + "\n";
        for (const auto& heredoc : instruction.heredocs) text += heredoc.content + "\n";
        for (const auto& [key, value] : stage.args) text += key + "=" + value + "\n";
        return BuildCache::step_key(stage.key, text);
    }

    bool adopt_cached(Stage& stage, const std::string& key) {
        if (!options_.use_cache || !options_.layers) return false;
        auto cached = cache_.find(key);
        if (!cached) return false;
        report("--> Using cache " + cached->id.substr(7));
        report("--> " + short_id(cached->id));
        stage.image = *cached;
        stage.history.clear();
        stage.key = BuildCache::step_key(key, stage.image->id);  // a rebuilt parent invalidates what follows
        return true;
    }

    void adopt_new(Stage& stage, const std::string& key, const std::string& id) {
        auto image = storage::ImageStore(host_.graph_root).find(id);
        if (!image) throw Error("the image " + id + " just committed is gone");
        stage.image = *image;
        stage.history.clear();
        stage.key = BuildCache::step_key(key, stage.image->id);  // a rebuilt parent invalidates what follows
        if (options_.layers)
            cache_.put(key, id);
        else
            intermediates_.push_back(id);
        report("--> " + short_id(id));
    }

    transport::ImageCommit layer_commit(const Stage& stage, json history_entry) {
        transport::ImageCommit commit;
        commit.graph_root = host_.graph_root;
        commit.base = stage.image;
        commit.config = stage.config;
        commit.author = stage.author;
        commit.history = stage.history;
        if (!stage.author.empty()) history_entry["author"] = stage.author;
        commit.history.push_back(std::move(history_entry));
        commit.format = options_.format;
        commit.rootless = host_.rootless;
        return commit;
    }

    void run(Stage& stage, const Instruction& instruction) {
        std::string key = run_key(stage, instruction);
        if (adopt_cached(stage, key)) return;
        if (!stage.image) throw Error("RUN in a stage FROM scratch: there is no shell to run");
        auto options = run_options(stage, instruction);
        auto container = host_.create(*stage.image, options);
        int status = 0;
        std::string id;
        try {
            status = host_.run(container.id);
            if (status == 0) {
                auto commit = layer_commit(stage, {{"created", transport::timestamp_now()},
                                                   {"created_by", "/bin/sh -c " + instruction.arguments}});
                std::vector<std::string> mount_points;  // RUN's own mounts: their mount points stay out of the layer
                for (const auto& mount : options.mounts) mount_points.push_back(clean_absolute(mount.destination));
                commit.write_layer =
                    transport::container_layer_writer(host_.graph_root, container, false, mount_points);
                id = host_.with_storage_ids([&] { return transport::commit_image(commit).id; });
            }
        } catch (...) {
            host_.remove(container.id);
            throw;
        }
        host_.remove(container.id);
        if (status != 0) throw Error("while running runtime: exit status " + std::to_string(status), status);
        adopt_new(stage, key, id);
    }

    // ---- COPY and ADD ----

    std::optional<storage::ImageRecord> source_image(const std::string& from) {
        if (const Stage* earlier = stage_named(from)) return earlier->image;
        return host_.image(from);
    }

    // The heredoc a source names ("<<EOF" or "<<-EOF"), or null.
    static const Heredoc* heredoc_of(const Instruction& instruction, const std::string& source) {
        if (!source.starts_with("<<")) return nullptr;
        std::string name = source.substr(source[2] == '-' ? 3 : 2);
        std::erase_if(name, [](char c) { return c == '"' || c == '\''; });
        for (const auto& heredoc : instruction.heredocs)
            if (heredoc.name == name) return &heredoc;
        return nullptr;
    }

    void copy(Stage& stage, const Instruction& instruction) {
        auto words = instruction.json_form ? instruction.words : expand_list(stage, instruction.arguments);
        if (words.size() < 2) throw Error(instruction.keyword + " requires at least two arguments");
        CopyRequest request;
        request.destination = words.back();
        words.pop_back();
        std::vector<std::pair<std::string, std::string>> literal_files;  // heredocs: name, content
        for (const auto& word : words) {
            if (const Heredoc* heredoc = heredoc_of(instruction, word)) {
                std::string content = heredoc->content;
                if (heredoc->expand) {
                    WordOptions literal_quotes{file_.escape, &used_, true};
                    content = expand_word(content, variables(stage), literal_quotes);
                }
                literal_files.emplace_back(heredoc->name, content);
            } else {
                request.sources.push_back(word);
            }
        }
        if (!request.destination.starts_with("/")) {
            std::string workdir = stage.config.value("WorkingDir", "/");
            bool directory = request.destination.ends_with("/") || request.destination == ".";
            request.destination = clean_absolute(workdir + "/" + request.destination) + (directory ? "/" : "");
        }
        if (words.size() > 1 && !request.destination.ends_with("/")) request.destination += "/";
        std::string from = flag_value(instruction, "from");
        std::optional<storage::ImageRecord> from_image;
        if (!from.empty()) from_image = source_image(expand(stage, from));
        std::string chown = expand(stage, flag_value(instruction, "chown"));
        std::string chmod = expand(stage, flag_value(instruction, "chmod"));
        if (!chmod.empty()) request.mode = parse_chmod(chmod);
        request.rootless = host_.rootless;
        std::string parent_key = stage.key;
        std::string args = used_values(stage);
        bool use_cache = options_.use_cache && options_.layers;
        std::string answer = host_.with_storage_ids([&] {
            TempDir scratch(host_.graph_root, ".build-");
            if (instruction.keyword == "ADD") request.extract_into = scratch.path();
            storage::TreeView image;
            if (stage.image) image = storage::merged_view(engine::image_layer_dirs(host_.graph_root, *stage.image));
            if (!chown.empty()) {
                auto table = [&](const char* path) {
                    auto found = image.find(path);
                    return found == image.end() ? std::string() : read_file(found->second.source);
                };
                auto [uid, gid] = parse_chown(chown, table("etc/passwd"), table("etc/group"));
                request.uid = uid;
                request.gid = gid;
            }
            SourceTree tree;
            if (!from.empty()) {
                tree.description = "stage " + from;
                if (from_image)
                    tree.files = storage::merged_view(engine::image_layer_dirs(host_.graph_root, *from_image));
            } else if (!request.sources.empty()) {
                tree = context_tree(options_.context_dir, rules_);
            }
            CopyPlan plan;
            if (!request.sources.empty()) plan = plan_copy(request, tree, image);
            if (!literal_files.empty()) {
                std::string directory = scratch.path() + "/heredocs";
                make_directories(directory, 0755);
                CopyRequest literal = request;
                literal.sources.clear();
                literal.extract_into.clear();
                for (const auto& [name, content] : literal_files) {
                    write_file_atomic(directory + "/" + name, content, 0644, Durability::atomic);
                    literal.sources.push_back(name);
                }
                plan = merged_plans(plan, plan_copy(literal, context_tree(directory, IgnoreRules()), image));
            }
            std::string key = BuildCache::step_key(parent_key, instruction.text + "\n" + plan.digest + "\n" + args);
            if (use_cache)
                if (auto cached = cache_.find(key)) return "cached " + key + " " + cached->id;
            auto commit = layer_commit(stage, {{"created", transport::timestamp_now()},
                                               {"created_by", "/bin/sh -c #(nop) " + instruction.keyword + " " +
                                                                  plan.digest + " in " + request.destination}});
            commit.write_layer = [&plan](const storage::ByteSink& sink) { write_copy_layer(plan, sink); };
            return "new " + key + " " + transport::commit_image(commit).id;
        });
        auto first = answer.find(' ');
        auto second = answer.find(' ', first + 1);
        std::string key = answer.substr(first + 1, second - first - 1);
        std::string id = answer.substr(second + 1);
        if (answer.starts_with("cached ")) {
            adopt_cached(stage, key);
            return;
        }
        adopt_new(stage, key, id);
    }

    // ---- the final image ----

    std::string finish(Stage& stage) {
        for (const auto& [key, value] : options_.labels) stage.config["Labels"][key] = value;
        std::string text = "COMMIT\n" + std::to_string(static_cast<int>(options_.format)) + "\n" +
                           (options_.squash_all ? "squash\n" : "");
        for (const auto& [key, value] : options_.labels) text += key + "=" + value + "\n";
        std::string key = BuildCache::step_key(stage.key, text);
        report(std::string("COMMIT") + (options_.tags.empty() ? "" : " " + options_.tags.front()));
        std::string id;
        if (options_.use_cache && options_.layers)
            if (auto cached = cache_.find(key)) id = cached->id;
        if (id.empty()) {
            auto commit = layer_commit(stage, json());
            commit.history.pop_back();
            if (options_.squash_all) squash(commit, stage);
            id = host_.with_storage_ids([&] { return transport::commit_image(commit).id; });
            if (options_.layers) cache_.put(key, id);
        }
        storage::ImageStore images(host_.graph_root);
        for (const auto& tag : options_.tags) images.add_name(id, tag);
        remove_intermediates(id);
        report("--> " + short_id(id));
        for (const auto& tag : options_.tags) report("Successfully tagged " + tag);
        return id;
    }

    // --squash-all: the final image is one layer holding the whole filesystem.
    void squash(transport::ImageCommit& commit, const Stage& stage) {
        commit.squash = true;
        commit.history.push_back({{"created", transport::timestamp_now()}, {"created_by", "/bin/sh -c #(nop) squash"}});
        std::vector<std::string> layers;
        if (stage.image) layers = engine::image_layer_dirs(host_.graph_root, *stage.image);
        commit.write_layer = [layers](const storage::ByteSink& sink) {
            storage::write_view_tar(storage::merged_view(layers), sink);
        };
    }

    // Podman's warning for --build-arg values no ARG declared.
    void warn_unconsumed() {
        std::string names;
        for (const auto& [name, value] : options_.build_args)
            if (!consumed_.count(name)) names += (names.empty() ? "" : " ") + name;
        if (!names.empty()) log_warning("one or more build args were not consumed: [" + names + "]");
    }

    // --layers=false: the images between the steps are not kept (their layers stay with the final image).
    void remove_intermediates(const std::string& final_id) {
        if (intermediates_.empty()) return;
        host_.with_storage_ids([&] {
            for (const auto& id : intermediates_)
                if (id != final_id) engine::remove_image(host_.graph_root, id);
            return std::string();
        });
    }

    const BuildOptions& options_;
    const BuildHost& host_;
    std::vector<std::string> intermediates_;
    std::set<std::string> consumed_;
    BuildCache cache_;
    Containerfile file_;
    IgnoreRules rules_;
    Variables global_args_;
    std::vector<Stage> finished_;
    std::set<std::string> used_;
    size_t stage_number_ = 0, stage_count_ = 0, step_ = 0, step_total_ = 0;
};

}  // namespace

std::string build_image(const BuildOptions& options, const BuildHost& host) { return Builder(options, host).build(); }

}  // namespace berth::builder
