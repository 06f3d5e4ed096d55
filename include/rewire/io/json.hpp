// rewire/io/json.hpp - the small JSON subset a checkpoint manifest needs
// (objects, arrays, strings, numbers, booleans, null), written and read
// without an external library since rewire depends on Eigen alone.
//
// Numbers are doubles, written with 17 significant digits, so every double
// (and every integer up to 2^53) reads back bit for bit. Integers wider
// than that (stream states) travel as decimal strings.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rewire::io {

/// A parsed JSON value. Objects keep their members in file order.
struct Json {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0.0;
  std::string text;
  std::vector<Json> items;                            // array
  std::vector<std::pair<std::string, Json>> members;  // object

  static Json of(double v) { Json j; j.type = Type::number; j.number = v; return j; }
  static Json of(bool v) { Json j; j.type = Type::boolean; j.boolean = v; return j; }
  static Json of(std::string v) { Json j; j.type = Type::string; j.text = std::move(v); return j; }
  static Json of(const char* v) { return of(std::string(v)); }
  static Json object() { Json j; j.type = Type::object; return j; }
  static Json array() { Json j; j.type = Type::array; return j; }

  /// Adds (object) member `key`; returns *this for chaining.
  Json& set(std::string key, Json value) {
    members.emplace_back(std::move(key), std::move(value));
    return *this;
  }

  /// The member `key` or nullptr.
  const Json* find(const std::string& key) const {
    for (const auto& m : members)
      if (m.first == key) return &m.second;
    return nullptr;
  }
};

namespace detail {

inline void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", unsigned(c));
      out += b;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Json parse_document() {
    Json v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;  // a manifest is shallow; bounds the recursion on hostile input

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }

  Json value(int depth) {
    if (depth > kMaxDepth) fail("nested too deeply");
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end");
    const char c = s_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Json::of(string());
    if (literal("true")) return Json::of(true);
    if (literal("false")) return Json::of(false);
    if (literal("null")) return Json();
    return Json::of(number());
  }

  Json object(int depth) {
    Json j = Json::object();
    ++pos_;
    if (eat('}')) return j;
    do {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a member name");
      std::string key = string();
      expect(':');
      j.set(std::move(key), value(depth + 1));
    } while (eat(','));
    expect('}');
    return j;
  }

  Json array(int depth) {
    Json j = Json::array();
    ++pos_;
    if (eat(']')) return j;
    do j.items.push_back(value(depth + 1));
    while (eat(','));
    expect(']');
    return j;
  }

  std::string string() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      const char c = s_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("short \\u escape");
          unsigned code = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9') code |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f') code |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') code |= unsigned(h - 'A' + 10);
            else fail("bad \\u escape");
          }
          if (code >= 0x80) fail("only ASCII \\u escapes are supported");  // the writer emits no others
          out += char(code);
          break;
        }
        default: fail("bad escape");
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  double number() {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && std::string("0123456789.eE+-").find(s_[pos_]) != std::string::npos) ++pos_;
    const std::string digits = s_.substr(start, pos_ - start);
    if (digits.empty() || digits == "-") fail("expected a value");
    char* end = nullptr;
    const double v = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || !std::isfinite(v)) fail("bad number '" + digits + "'");
    return v;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

inline void dump(std::string& out, const Json& j, int indent) {
  const std::string pad(std::size_t(2 * (indent + 1)), ' ');
  switch (j.type) {
    case Json::Type::null: out += "null"; break;
    case Json::Type::boolean: out += j.boolean ? "true" : "false"; break;
    case Json::Type::number: {
      if (!std::isfinite(j.number)) throw std::invalid_argument("rewire: JSON cannot hold a non-finite number");
      char b[32];
      std::snprintf(b, sizeof b, "%.17g", j.number);
      out += b;
      break;
    }
    case Json::Type::string: dump_string(out, j.text); break;
    case Json::Type::array:
      out += '[';
      for (std::size_t k = 0; k < j.items.size(); ++k) {
        if (k) out += ", ";
        dump(out, j.items[k], indent + 1);
      }
      out += ']';
      break;
    case Json::Type::object:
      out += "{";
      for (std::size_t k = 0; k < j.members.size(); ++k) {
        out += (k ? ",\n" : "\n") + pad;
        dump_string(out, j.members[k].first);
        out += ": ";
        dump(out, j.members[k].second, indent + 1);
      }
      out += j.members.empty() ? "}" : "\n" + std::string(std::size_t(2 * indent), ' ') + "}";
      break;
  }
}

}  // namespace detail

/// Parses a whole document; throws std::runtime_error naming the byte offset.
inline Json parse_json(const std::string& text) { return detail::Parser(text).parse_document(); }

/// Writes `j` as indented JSON; throws std::invalid_argument on a non-finite number.
inline std::string dump_json(const Json& j) {
  std::string out;
  detail::dump(out, j, 0);
  return out;
}

}  // namespace rewire::io
