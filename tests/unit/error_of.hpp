// What a unit test asks of a failing call: the message of the berth::Error it throws, or "no error".
#pragma once

#include <string>

#include "common/error.hpp"

namespace berth::testing_support {

template <typename Action>
std::string error_of(Action&& action) {
    try {
        action();
    } catch (const Error& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace berth::testing_support
