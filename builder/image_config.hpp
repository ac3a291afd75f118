// Pieces of the image config that instructions write: Env entries, HEALTHCHECK's object and its Go durations.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "builder/containerfile.hpp"
#include "builder/word_expansion.hpp"

namespace berth::builder {

// Sets KEY=VALUE in the config's "Env" list: replaces the entry of that key in place, else appends it.
void set_env(nlohmann::json& config, const std::string& key, const std::string& value);

// The config's "Env" list as variables.
Variables env_of(const nlohmann::json& config);

// HEALTHCHECK's "Healthcheck" object, as Docker's config has it: Test ["NONE"], ["CMD", ...] (JSON form) or
// ["CMD-SHELL", "..."], and --interval, --timeout, --start-period, --start-interval (nanoseconds), --retries.
nlohmann::json healthcheck_config(const Instruction& instruction);

// A Go duration ("30s", "1m30s", "500ms", "1.5h") in nanoseconds; Error for anything else.
int64_t parse_duration(const std::string& text);

}  // namespace berth::builder
