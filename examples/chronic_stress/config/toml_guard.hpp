// config/toml_guard.hpp - a check of configuration text before it reaches toml++
// (config.cpp). toml++ 3.3 (Debian's) reaches __builtin_unreachable() -
// undefined behaviour - when it tests certain non-ASCII characters for
// whitespace: outside strings and comments (`[data]К`), after a line-ending
// backslash in a multi-line string, or in malformed UTF-8 (found by
// fuzz/fuzz_config; fixed upstream after 3.3). No value of the schema can
// hold a non-ASCII character (names are [A-Za-z0-9_.-], the rest are numbers
// and keywords), so they are refused everywhere but in comments.
#pragma once

#include "config/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace chronic_stress {

/// Throws ConfigError (source:line:column) at the first byte >= 0x80 that is
/// not inside a comment. Strings are followed only so far as to know where a
/// comment starts: a '#' inside a string does not start one.
inline void require_ascii_outside_comments(std::string_view text, const std::string& source) {
  enum class In { code, comment, basic, literal, ml_basic, ml_literal } in = In::code;
  std::size_t line = 1, column = 1;
  const auto starts = [&](std::size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  for (std::size_t i = 0; i < text.size(); ++i, ++column) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80 && in != In::comment)
      throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column),
                        "a non-ASCII character outside a comment (only comments may hold one)");
    if (c == '\n') {
      ++line;
      column = 0;
      if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
      continue;
    }
    switch (in) {
      case In::code:
        if (c == '#') in = In::comment;
        else if (starts(i, "\"\"\"")) in = In::ml_basic, i += 2, column += 2;
        else if (starts(i, "'''")) in = In::ml_literal, i += 2, column += 2;
        else if (c == '"') in = In::basic;
        else if (c == '\'') in = In::literal;
        break;
      case In::basic:
      case In::ml_basic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') ++i, ++column;  // an escaped character
        else if (in == In::basic && c == '"') in = In::code;
        else if (in == In::ml_basic && starts(i, "\"\"\"")) in = In::code, i += 2, column += 2;
        break;
      case In::literal:
        if (c == '\'') in = In::code;
        break;
      case In::ml_literal:
        if (starts(i, "'''")) in = In::code, i += 2, column += 2;
        break;
      case In::comment:
        break;
    }
  }
}

}  // namespace chronic_stress
