#include "storage/container_record_codec.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace berth::storage {
namespace {

using json = nlohmann::json;

nlohmann::json ports_to_json(const std::vector<PublishedPort>& ports) {
    auto array = json::array();
    for (const auto& port : ports)
        array.push_back({{"host_ip", port.host_ip},
                         {"container_port", port.container_port},
                         {"host_port", port.host_port},
                         {"range", port.range},
                         {"protocol", port.protocol}});
    return array;
}

// The record's keys. Where a value of a field goes is decided once per key, not once per character.
enum class Field {
    unknown,
    id,
    name,
    image_id,
    image_name,
    command,
    create_command,
    create_arguments,
    created_ns,
    labels,
    driver,
    layers,
    volumes,
    remove_after_exit,
    stop_signal,
    tty,
    interactive,
    rootless,
    seccomp_profile,
    restart_policy,
    restart_max,
    restart_count,
    stopped_by_user,
    log_max_size,
    network,
    pod,
    ports,
    state,
    pid,
    pid_start_time,
    monitor_pid,
    monitor_start_time,
    boot_id,
    started_ns,
    finished_ns,
    exit_code,
    error,
};

struct FieldName {
    std::string_view name;
    Field field;
};

constexpr std::array<FieldName, 36> field_names{{
    {"id", Field::id},
    {"name", Field::name},
    {"image_id", Field::image_id},
    {"image_name", Field::image_name},
    {"command", Field::command},
    {"create_command", Field::create_command},
    {"create_arguments", Field::create_arguments},
    {"created_ns", Field::created_ns},
    {"labels", Field::labels},
    {"driver", Field::driver},
    {"layers", Field::layers},
    {"volumes", Field::volumes},
    {"remove_after_exit", Field::remove_after_exit},
    {"stop_signal", Field::stop_signal},
    {"tty", Field::tty},
    {"interactive", Field::interactive},
    {"rootless", Field::rootless},
    {"seccomp_profile", Field::seccomp_profile},
    {"restart_policy", Field::restart_policy},
    {"restart_max", Field::restart_max},
    {"restart_count", Field::restart_count},
    {"stopped_by_user", Field::stopped_by_user},
    {"log_max_size", Field::log_max_size},
    {"network", Field::network},
    {"pod", Field::pod},
    {"ports", Field::ports},
    {"state", Field::state},
    {"pid", Field::pid},
    {"pid_start_time", Field::pid_start_time},
    {"monitor_pid", Field::monitor_pid},
    {"monitor_start_time", Field::monitor_start_time},
    {"boot_id", Field::boot_id},
    {"started_ns", Field::started_ns},
    {"finished_ns", Field::finished_ns},
    {"exit_code", Field::exit_code},
    {"error", Field::error},
}};

Field field_named(std::string_view key) {
    for (const auto& entry : field_names)
        if (entry.name == key) return entry.field;
    return Field::unknown;
}

template <typename Integer>
Integer checked(std::string_view key, int64_t value) {
    if (value < static_cast<int64_t>(std::numeric_limits<Integer>::min()) ||
        (value > 0 && static_cast<uint64_t>(value) > static_cast<uint64_t>(std::numeric_limits<Integer>::max())))
        throw Error("\"" + std::string(key) + "\" is out of range: " + std::to_string(value));
    return static_cast<Integer>(value);
}

// Fills a record from the parser's events. Depth 1 is the record object; the arrays command, layers and volumes, the
// object labels and the array of port objects nest below it; anything under an unknown key is skipped.
class RecordReader : public nlohmann::json_sax<json> {
public:
    explicit RecordReader(ContainerRecord& record) : record_(record) {}

    bool saw_id() const { return saw_id_; }
    bool saw_name() const { return saw_name_; }

    bool null() override { return scalar("null"); }
    bool boolean(bool value) override {
        if (skipping() || depth_ != 1) return scalar("a boolean");
        switch (field_) {
            case Field::remove_after_exit: record_.remove_after_exit = value; break;
            case Field::tty: record_.tty = value; break;
            case Field::interactive: record_.interactive = value; break;
            case Field::rootless: record_.rootless = value; break;
            case Field::stopped_by_user: record_.stopped_by_user = value; break;
            default: return scalar("a boolean");
        }
        return true;
    }
    bool number_integer(number_integer_t value) override { return integer(value); }
    bool number_unsigned(number_unsigned_t value) override {
        if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throw Error("\"" + key_ + "\" is out of range");
        return integer(static_cast<int64_t>(value));
    }
    bool number_float(number_float_t, const string_t&) override { return scalar("a fraction"); }
    bool binary(binary_t&) override { return scalar("binary data"); }

    bool string(string_t& value) override {
        if (skipping()) return true;
        if (depth_ == 2 && field_ == Field::command && in_array_) {
            record_.command.push_back(std::move(value));
            return true;
        }
        if (depth_ == 2 && field_ == Field::create_command && in_array_) {
            record_.create_command.push_back(std::move(value));
            return true;
        }
        if (depth_ == 2 && field_ == Field::layers && in_array_) {
            record_.layers.push_back(std::move(value));
            return true;
        }
        if (depth_ == 2 && field_ == Field::volumes && in_array_) {
            record_.volumes.push_back(std::move(value));
            return true;
        }
        if (depth_ == 2 && field_ == Field::labels && !in_array_) {
            record_.labels[key_] = std::move(value);
            return true;
        }
        if (depth_ == 3 && field_ == Field::ports) return port_string(std::move(value));
        if (depth_ != 1) return scalar("a string");
        return top_level_string(std::move(value));
    }

    bool start_object(std::size_t) override {
        ++depth_;
        if (skipping() || depth_ == 1) return true;
        if (depth_ == 2 && field_ == Field::labels) {
            in_array_ = false;
            return true;
        }
        if (depth_ == 3 && field_ == Field::ports && in_array_) {
            record_.ports.emplace_back();
            return true;
        }
        return structure("an object");
    }
    bool end_object() override { return leave(); }
    bool start_array(std::size_t) override {
        ++depth_;
        if (skipping()) return true;
        if (depth_ == 2 && (field_ == Field::command || field_ == Field::create_command || field_ == Field::layers ||
                            field_ == Field::volumes || field_ == Field::ports)) {
            in_array_ = true;
            return true;
        }
        if (depth_ == 1) throw Error("not a JSON object");
        return structure("an array");
    }
    bool end_array() override { return leave(); }

    bool key(string_t& name) override {
        if (skipping()) return true;
        if (depth_ == 1) {
            field_ = field_named(name);
            key_ = std::move(name);
            skip_from_ = field_ == Field::unknown ? 2 : 0;  // whatever an unknown key holds is skipped
        } else {
            key_ = std::move(name);
        }
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) override {
        throw Error(error.what());
    }

private:
    bool skipping() const { return skip_from_ != 0 && depth_ >= skip_from_; }

    bool leave() {
        --depth_;
        return true;
    }

    // A scalar of an unknown key is skipped; anywhere else it is the wrong type for its field.
    bool scalar(const char* what) {
        if (depth_ == 0) throw Error("not a JSON object");
        if (skipping() || (depth_ == 1 && field_ == Field::unknown)) return true;
        throw Error("\"" + key_ + "\" cannot be " + what);
    }
    bool structure(const char* what) { throw Error("\"" + key_ + "\" cannot hold " + what); }

    bool top_level_string(std::string value) {
        switch (field_) {
            case Field::id: record_.id = std::move(value), saw_id_ = true; break;
            case Field::name: record_.name = std::move(value), saw_name_ = true; break;
            case Field::image_id: record_.image_id = std::move(value); break;
            case Field::image_name: record_.image_name = std::move(value); break;
            case Field::driver: record_.driver = std::move(value); break;
            case Field::stop_signal: record_.stop_signal = std::move(value); break;
            case Field::seccomp_profile: record_.seccomp_profile = std::move(value); break;
            case Field::restart_policy: record_.restart_policy = std::move(value); break;
            case Field::network: record_.network = std::move(value); break;
            case Field::pod: record_.pod = std::move(value); break;
            case Field::boot_id: record_.boot_id = std::move(value); break;
            case Field::error: record_.error = std::move(value); break;
            case Field::state: {
                auto state = parse_state(value);
                if (!state) throw Error("unknown state \"" + value + "\"");
                record_.state = *state;
                break;
            }
            default: return scalar("a string");
        }
        return true;
    }

    bool port_string(std::string value) {
        if (key_ == "host_ip")
            record_.ports.back().host_ip = std::move(value);
        else if (key_ == "protocol")
            record_.ports.back().protocol = std::move(value);
        return true;  // other keys of a port: ignored, as unknown keys are
    }

    bool integer(int64_t value) {
        if (skipping()) return true;
        if (depth_ == 3 && field_ == Field::ports) {
            auto& port = record_.ports.back();
            if (key_ == "container_port") port.container_port = checked<uint16_t>(key_, value);
            if (key_ == "host_port") port.host_port = checked<uint16_t>(key_, value);
            if (key_ == "range") port.range = checked<uint16_t>(key_, value);
            return true;
        }
        if (depth_ != 1) return scalar("a number");
        switch (field_) {
            case Field::created_ns: record_.created_ns = value; break;
            case Field::started_ns: record_.started_ns = value; break;
            case Field::finished_ns: record_.finished_ns = value; break;
            case Field::create_arguments: record_.create_arguments = checked<int>(key_, value); break;
            case Field::restart_max: record_.restart_max = checked<int>(key_, value); break;
            case Field::restart_count: record_.restart_count = checked<int>(key_, value); break;
            case Field::log_max_size: record_.log_max_size = checked<uint64_t>(key_, value); break;
            case Field::pid: record_.pid = checked<int>(key_, value); break;
            case Field::pid_start_time: record_.pid_start_time = checked<uint64_t>(key_, value); break;
            case Field::monitor_pid: record_.monitor_pid = checked<int>(key_, value); break;
            case Field::monitor_start_time: record_.monitor_start_time = checked<uint64_t>(key_, value); break;
            case Field::exit_code: record_.exit_code = checked<int>(key_, value); break;
            default: return scalar("a number");
        }
        return true;
    }

    ContainerRecord& record_;
    Field field_ = Field::unknown;
    std::string key_;    // the last key seen (a record field, a label, a port field)
    int depth_ = 0;      // 1 inside the record object
    int skip_from_ = 0;  // events at this depth and deeper belong to an unknown key (0: none)
    bool in_array_ = false;
    bool saw_id_ = false, saw_name_ = false;
};

bool is_lower_hex_id(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

// Fields at their defaults are left out: every `ps` reads every record, and the parser's time goes by the byte.
std::string encode_container_record(const ContainerRecord& record) {
    const ContainerRecord defaults;
    json out = {{"id", record.id}, {"name", record.name}, {"state", state_name(record.state)}};
    auto put = [&](const char* key, const auto& value, const auto& default_value) {
        if (value != default_value) out[key] = value;
    };
    put("image_id", record.image_id, defaults.image_id);
    put("image_name", record.image_name, defaults.image_name);
    put("command", record.command, defaults.command);
    put("create_command", record.create_command, defaults.create_command);
    put("create_arguments", record.create_arguments, defaults.create_arguments);
    put("created_ns", record.created_ns, defaults.created_ns);
    put("labels", record.labels, defaults.labels);
    out["driver"] = record.driver;  // absent means overlay, for records from before the vfs driver
    put("layers", record.layers, defaults.layers);
    put("volumes", record.volumes, defaults.volumes);
    put("remove_after_exit", record.remove_after_exit, defaults.remove_after_exit);
    put("stop_signal", record.stop_signal, defaults.stop_signal);
    put("tty", record.tty, defaults.tty);
    put("interactive", record.interactive, defaults.interactive);
    put("rootless", record.rootless, defaults.rootless);
    put("seccomp_profile", record.seccomp_profile, defaults.seccomp_profile);
    put("restart_policy", record.restart_policy, defaults.restart_policy);
    put("restart_max", record.restart_max, defaults.restart_max);
    put("restart_count", record.restart_count, defaults.restart_count);
    put("stopped_by_user", record.stopped_by_user, defaults.stopped_by_user);
    put("log_max_size", record.log_max_size, defaults.log_max_size);
    put("network", record.network, defaults.network);
    put("pod", record.pod, defaults.pod);
    if (!record.ports.empty()) out["ports"] = ports_to_json(record.ports);
    put("pid", record.pid, defaults.pid);
    put("pid_start_time", record.pid_start_time, defaults.pid_start_time);
    put("monitor_pid", record.monitor_pid, defaults.monitor_pid);
    put("monitor_start_time", record.monitor_start_time, defaults.monitor_start_time);
    put("boot_id", record.boot_id, defaults.boot_id);
    put("started_ns", record.started_ns, defaults.started_ns);
    put("finished_ns", record.finished_ns, defaults.finished_ns);
    put("exit_code", record.exit_code, defaults.exit_code);
    put("error", record.error, defaults.error);
    return out.dump();
}

ContainerRecord decode_container_record(std::string_view text) {
    ContainerRecord record;
    record.driver = "overlay";  // records from before the vfs driver
    RecordReader reader(record);
    json::sax_parse(text.begin(), text.end(), &reader);
    if (!reader.saw_id()) throw Error("the record has no id");
    if (!is_lower_hex_id(record.id)) throw Error("id \"" + record.id + "\" is not 64 hex digits");
    if (!reader.saw_name()) throw Error("the record has no name");
    return record;
}

}  // namespace berth::storage
