// config/toml_text.cpp - TOML text of a toml++ tree (toml_reader.hpp), for
// the configuration texts of cohort patients and of Python's config dicts
// and for the values quoted in messages. (A sweep point is read from the
// study file's own nodes, not from a text: its messages quote the file's
// lines, sweep_points.cpp.)
//
// toml++'s own formatter (3.3) estimates the width of every array before it
// prints it with `size_t(log10(|x|))`, which is undefined behaviour for a
// float below 0.1, an inf or a nan and for the smallest integer; any study
// file may hold such numbers, so this writer takes no such estimate. Arrays
// and inline tables are written on one line, sub-tables under [headers],
// arrays of tables as [[headers]]; numbers in their shortest exact form, so
// the text reads back to the same tree.
#include "config/toml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>

namespace chronic_stress::detail {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char u[8];
          std::snprintf(u, sizeof u, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += u;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A key bare where TOML allows it (A-Z a-z 0-9 _ -), quoted otherwise.
std::string key_text(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : quoted(std::string(key));
}

bool is_array_of_tables(const toml::node& n) {
  const toml::array* a = n.as_array();
  return a && !a->empty() && a->is_array_of_tables();
}

void write_body(const toml::table& t, const std::string& path, std::string& out) {
  // Plain keys first: after a [header] every key belongs to that table.
  for (auto&& [k, v] : t)
    if (!v.is_table() && !is_array_of_tables(v)) out += key_text(k.str()) + " = " + toml_inline(v) + "\n";
  for (auto&& [k, v] : t) {
    const std::string sub = path.empty() ? key_text(k.str()) : path + "." + key_text(k.str());
    if (const toml::table* child = v.as_table()) {
      out += "\n[" + sub + "]\n";
      write_body(*child, sub, out);
    } else if (is_array_of_tables(v)) {
      for (const toml::node& element : *v.as_array()) {
        out += "\n[[" + sub + "]]\n";
        write_body(*element.as_table(), sub, out);
      }
    }
  }
}

}  // namespace

std::string toml_inline(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return quoted(n.as_string()->get());
    case toml::node_type::integer: return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: {  // 1.0 stays a float: it was typed as one
      const std::string text = shortest(n.as_floating_point()->get());
      return text.find_first_of(".ein") == std::string::npos ? text + ".0" : text;
    }
    case toml::node_type::boolean: return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array: {
      std::string out = "[";
      for (const toml::node& element : *n.as_array()) out += (out.size() > 1 ? ", " : "") + toml_inline(element);
      return out + "]";
    }
    case toml::node_type::table: {
      std::string out = "{";
      for (auto&& [k, v] : *n.as_table())
        out += (out.size() > 1 ? ", " : " ") + key_text(k.str()) + " = " + toml_inline(v);
      return out + (out.size() > 1 ? " }" : "}");
    }
    default: {  // dates and times: toml++ prints them without any estimate
      std::ostringstream s;
      n.visit([&s](auto&& v) { s << v; });
      return s.str();
    }
  }
}

std::string toml_document(const toml::table& root) {
  std::string out;
  write_body(root, "", out);
  return out;
}

}  // namespace chronic_stress::detail
