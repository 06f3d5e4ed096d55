// rewire/io/npz.hpp - the subset of NumPy's .npz format that checkpoints
// use, written and read by hand: a zip archive of *stored* (uncompressed)
// entries, each checked with its CRC-32, each a .npy v1.0 array of a plain
// little-endian type. numpy.load reads what save_npz writes; read_npz reads
// what numpy.savez writes (also with the zip64 extra fields numpy adds), but
// not numpy.savez_compressed (deflate).
//
// Every problem in a file is a FormatError; the readers check every size
// and offset against the bytes actually present before using it, so a
// truncated or hostile file never reads out of bounds.
#pragma once

#include <rewire/io/files.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace rewire::io {

/// A file that cannot be read as what it claims to be; what() names the
/// file and the problem.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Element types a checkpoint stores (NumPy descr '<f4', '<f8', '|u1', '<u8').
enum class Dtype { f4, f8, u1, u8 };

inline std::size_t dtype_size(Dtype d) {
  switch (d) {
    case Dtype::f4: return 4;
    case Dtype::f8: return 8;
    case Dtype::u1: return 1;
    case Dtype::u8: return 8;
  }
  return 1;
}

/// One array: C (row-major) order, little-endian bytes as in the file.
struct NpyArray {
  std::string name;  ///< the entry's name without ".npy"
  Dtype dtype = Dtype::f4;
  std::vector<std::uint64_t> shape;
  std::string bytes;

  std::uint64_t count() const {
    std::uint64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

namespace detail {

inline std::uint32_t crc32(const char* data, std::size_t n) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

inline void put(std::string& out, std::uint64_t v, int bytes) {
  for (int k = 0; k < bytes; ++k) out += char((v >> (8 * k)) & 0xFFu);
}

inline std::uint64_t get(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int k = bytes; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[at + std::size_t(k)]);
  return v;
}

[[noreturn]] inline void bad(const std::string& what) { throw FormatError(what); }

inline const char* descr(Dtype d) {
  switch (d) {
    case Dtype::f4: return "<f4";
    case Dtype::f8: return "<f8";
    case Dtype::u1: return "|u1";
    case Dtype::u8: return "<u8";
  }
  return "";
}

/// The .npy v1.0 bytes of `a`: magic, version, header padded so the data
/// starts at a multiple of 64 bytes (as NumPy writes it), data.
inline std::string npy_bytes(const NpyArray& a) {
  std::string shape = "(";  // Python's tuple syntax: (), (3,), (2, 3)
  for (std::size_t k = 0; k < a.shape.size(); ++k) shape += (k ? ", " : "") + std::to_string(a.shape[k]);
  shape += a.shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr(a.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  put(out, header.size(), 2);
  out += header;
  out += a.bytes;
  return out;
}

/// The value of `key` in a .npy header dict ("'descr': '<f4'" -> "'<f4'").
inline std::string header_field(const std::string& h, const std::string& key) {
  const std::size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) bad("the .npy header has no '" + key + "'");
  std::size_t p = h.find(':', k);
  if (p == std::string::npos) bad("the .npy header is malformed near '" + key + "'");
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  const std::size_t end = (p < h.size() && h[p] == '(') ? h.find(')', p) + 1 : h.find_first_of(",}", p);
  if (end == std::string::npos || end == 0 || end <= p) bad("the .npy header is malformed near '" + key + "'");
  return h.substr(p, end - p);
}

inline std::vector<std::uint64_t> parse_shape(const std::string& s) {
  std::vector<std::uint64_t> shape;
  std::size_t p = 1;  // after '('
  while (p < s.size()) {
    while (p < s.size() && (s[p] == ' ' || s[p] == ',')) ++p;
    if (p >= s.size() || s[p] == ')') break;
    std::uint64_t v = 0;
    const std::size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (v > (std::uint64_t(1) << 40)) bad("a .npy dimension is implausibly large");
      v = v * 10 + std::uint64_t(s[p++] - '0');
    }
    if (p == start) bad("the .npy shape '" + s + "' is malformed");
    if (p < s.size() && s[p] == 'L') ++p;  // Python 2 longs
    shape.push_back(v);
    if (shape.size() > 8) bad("the .npy array has more than 8 dimensions");
  }
  return shape;
}

/// Parses one .npy entry; C-order data is kept, Fortran-order 2-D data is
/// transposed into C order (numpy writes transposed views that way).
inline NpyArray parse_npy(const std::string& name, const std::string& s) {
  if (s.size() < 10 || s.compare(0, 6, "\x93NUMPY") != 0) bad("entry '" + name + "' is not a .npy array");
  const int major = static_cast<unsigned char>(s[6]);
  if (major < 1 || major > 3) bad("entry '" + name + "' has .npy version " + std::to_string(major) + " (1 to 3 are read)");
  const std::size_t hlen_bytes = major == 1 ? 2 : 4;
  if (s.size() < 8 + hlen_bytes) bad("entry '" + name + "' is truncated");
  const std::uint64_t hlen = get(s, 8, int(hlen_bytes));
  const std::size_t start = 8 + hlen_bytes;
  if (hlen > s.size() - start) bad("entry '" + name + "' is truncated inside its header");
  const std::string h = s.substr(start, std::size_t(hlen));
  NpyArray a;
  a.name = name;
  const std::string d = header_field(h, "descr");
  if (d == "'<f4'") a.dtype = Dtype::f4;
  else if (d == "'<f8'") a.dtype = Dtype::f8;
  else if (d == "'|u1'" || d == "'<u1'") a.dtype = Dtype::u1;
  else if (d == "'<u8'") a.dtype = Dtype::u8;
  else bad("entry '" + name + "' has dtype " + d + " (float32 '<f4', float64 '<f8', uint8, uint64 '<u8' are read)");
  const std::string f = header_field(h, "fortran_order");
  if (f != "False" && f != "True") bad("entry '" + name + "' has fortran_order " + f);
  const std::string shape = header_field(h, "shape");
  if (shape.empty() || shape.front() != '(') bad("entry '" + name + "' has shape " + shape);
  a.shape = parse_shape(shape);
  const std::size_t data_at = start + std::size_t(hlen);
  const std::size_t elem = dtype_size(a.dtype);
  const std::uint64_t present = (s.size() - data_at) / elem;
  std::uint64_t n = 1;  // the product, checked against what is present at each factor (no overflow)
  for (auto dim : a.shape) {
    if (dim != 0 && n > present / dim) bad("entry '" + name + "' holds fewer values than its shape says");
    n *= dim;
  }
  if (s.size() - data_at != n * elem)
    bad("entry '" + name + "' holds " + std::to_string(s.size() - data_at) + " data bytes, its shape says " +
        std::to_string(n * elem));
  a.bytes = s.substr(data_at);
  if (f == "True" && a.shape.size() == 2) {  // column-major -> row-major
    const std::uint64_t r = a.shape[0], c = a.shape[1];
    std::string t(a.bytes.size(), '\0');
    for (std::uint64_t i = 0; i < r; ++i)
      for (std::uint64_t j = 0; j < c; ++j)
        std::memcpy(&t[(i * c + j) * elem], &a.bytes[(j * r + i) * elem], elem);
    a.bytes = std::move(t);
  } else if (f == "True" && a.shape.size() > 2) {
    bad("entry '" + name + "' is a Fortran-order array of more than 2 dimensions");
  }
  return a;
}

}  // namespace detail

/// The bytes of an .npz archive holding `arrays` (stored entries, no zip64:
/// throws std::invalid_argument above 4 GiB).
inline std::string npz_bytes(const std::vector<NpyArray>& arrays) {
  using namespace detail;
  std::string out, central;
  for (const auto& a : arrays) {
    if (a.bytes.size() != a.count() * dtype_size(a.dtype))
      throw std::invalid_argument("rewire: array '" + a.name + "' has a size that disagrees with its shape");
    const std::string data = npy_bytes(a);
    const std::string name = a.name + ".npy";
    if (out.size() + data.size() + name.size() + 30 >= 0xFFFFFFFFull)
      throw std::invalid_argument("rewire: a checkpoint above 4 GiB needs zip64, which is not written");
    const std::uint32_t crc = crc32(data.data(), data.size());
    const std::uint64_t offset = out.size();
    auto common = [&](std::string& h) {
      put(h, 20, 2);      // version needed: 2.0
      put(h, 0, 2);       // flags
      put(h, 0, 2);       // method: stored
      put(h, 0, 2);       // time 00:00
      put(h, 0x21, 2);    // date 1980-01-01 (fixed: same state, same bytes)
      put(h, crc, 4);
      put(h, data.size(), 4);
      put(h, data.size(), 4);
      put(h, name.size(), 2);
      put(h, 0, 2);       // extra length
    };
    put(out, 0x04034b50, 4);
    common(out);
    out += name;
    out += data;
    put(central, 0x02014b50, 4);
    put(central, 20, 2);  // version made by
    common(central);
    put(central, 0, 2);   // comment length
    put(central, 0, 2);   // disk
    put(central, 0, 2);   // internal attributes
    put(central, 0, 4);   // external attributes
    put(central, offset, 4);
    central += name;
  }
  const std::uint64_t cd_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4);
  put(out, 0, 4);  // disk numbers
  put(out, arrays.size(), 2);
  put(out, arrays.size(), 2);
  put(out, central.size(), 4);
  put(out, cd_offset, 4);
  put(out, 0, 2);  // comment length
  return out;
}

/// Reads the arrays of an .npz held in `s`; throws FormatError (without a
/// file name: read_npz adds it).
inline std::vector<NpyArray> parse_npz(const std::string& s) {
  using namespace detail;
  if (s.size() < 22) bad("too short to be an .npz (zip) file (" + std::to_string(s.size()) + " bytes)");
  std::size_t eocd = std::string::npos;
  const std::size_t lowest = s.size() > 22 + 0xFFFF ? s.size() - 22 - 0xFFFF : 0;
  for (std::size_t p = s.size() - 22 + 1; p-- > lowest;)
    if (get(s, p, 4) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string::npos) bad("no zip end record: not an .npz file, or truncated");
  std::uint64_t count = get(s, eocd + 10, 2), cd_size = get(s, eocd + 12, 4), cd_offset = get(s, eocd + 16, 4);
  if ((count == 0xFFFF || cd_offset == 0xFFFFFFFFu) && eocd >= 20 && get(s, eocd - 20, 4) == 0x07064b50) {
    const std::uint64_t z = get(s, eocd - 12, 8);  // zip64 end record
    if (s.size() < 56 || z > s.size() - 56 || get(s, std::size_t(z), 4) != 0x06064b50) bad("a broken zip64 end record");
    count = get(s, std::size_t(z) + 32, 8);
    cd_size = get(s, std::size_t(z) + 40, 8);
    cd_offset = get(s, std::size_t(z) + 48, 8);
  }
  if (cd_offset > s.size() || cd_size > s.size() - cd_offset) bad("the zip directory lies outside the file (truncated?)");
  if (count > cd_size / 46) bad("the zip directory is smaller than its entry count says");
  std::vector<NpyArray> arrays;
  std::size_t p = std::size_t(cd_offset);
  const std::size_t cd_end = std::size_t(cd_offset + cd_size);
  for (std::uint64_t e = 0; e < count; ++e) {
    if (p + 46 > cd_end || get(s, p, 4) != 0x02014b50) bad("zip directory entry " + std::to_string(e) + " is broken");
    const std::uint64_t flags = get(s, p + 8, 2), method = get(s, p + 10, 2);
    const std::uint32_t crc = std::uint32_t(get(s, p + 16, 4));
    std::uint64_t size = get(s, p + 20, 4), usize = get(s, p + 24, 4), local = get(s, p + 42, 4);
    const std::size_t name_len = std::size_t(get(s, p + 28, 2)), extra_len = std::size_t(get(s, p + 30, 2)),
                      comment_len = std::size_t(get(s, p + 32, 2));
    if (p + 46 + name_len + extra_len + comment_len > cd_end) bad("zip directory entry " + std::to_string(e) + " is truncated");
    const std::string name = s.substr(p + 46, name_len);
    // zip64 extra: the 8-byte values replace, in order, those set to 0xFFFFFFFF.
    for (std::size_t x = p + 46 + name_len; x + 4 <= p + 46 + name_len + extra_len;) {
      const std::uint64_t id = get(s, x, 2), len = get(s, x + 2, 2);
      if (x + 4 + len > p + 46 + name_len + extra_len) bad("entry '" + name + "' has a broken extra field");
      if (id == 1) {
        std::size_t q = x + 4;
        for (std::uint64_t* v : {&usize, &size, &local})
          if (*v == 0xFFFFFFFFu) {
            if (q + 8 > x + 4 + len) bad("entry '" + name + "' has a short zip64 field");
            *v = get(s, q, 8);
            q += 8;
          }
      }
      x += 4 + std::size_t(len);
    }
    p += 46 + name_len + extra_len + comment_len;
    if (method != 0) bad("entry '" + name + "' is compressed (method " + std::to_string(method) + "); only stored entries are read: save with numpy.savez, not savez_compressed");
    if (flags & 1u) bad("entry '" + name + "' is encrypted");
    if (size != usize) bad("entry '" + name + "' has different stored and real sizes");
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".npy") != 0) bad("entry '" + name + "' is not a .npy file");
    if (local > s.size() || s.size() - local < 30 || get(s, std::size_t(local), 4) != 0x04034b50)
      bad("entry '" + name + "': its local header is missing (truncated or corrupted file)");
    const std::size_t data_at = std::size_t(local) + 30 + std::size_t(get(s, std::size_t(local) + 26, 2)) +
                                std::size_t(get(s, std::size_t(local) + 28, 2));
    if (data_at > s.size() || size > s.size() - data_at) bad("entry '" + name + "' is truncated");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // (libFuzzer's convention) lets a fuzzer past the CRC
    if (crc32(s.data() + data_at, std::size_t(size)) != crc) bad("entry '" + name + "' fails its CRC-32 check (corrupted)");
#else
    (void)crc;
#endif
    const std::string stem = name.substr(0, name.size() - 4);
    for (const auto& a : arrays)
      if (a.name == stem) bad("entry '" + name + "' appears twice");
    arrays.push_back(parse_npy(stem, s.substr(data_at, std::size_t(size))));
  }
  return arrays;
}

/// Reads an .npz file; throws FormatError "'<path>': <problem>" (a missing
/// path, a directory or another non-regular file included).
inline std::vector<NpyArray> read_npz(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw FormatError("'" + path.string() + "': not a regular file (a directory?)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError("'" + path.string() + "': cannot open it for reading");
  std::string s;
  try {  // libstdc++'s filebuf throws std::ios_base::failure on a failed read
    s.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure& e) {
    throw FormatError("'" + path.string() + "': read error (" + e.what() + ")");
  }
  if (in.bad()) throw FormatError("'" + path.string() + "': read error");
  try {
    return parse_npz(s);
  } catch (const FormatError& e) {
    throw FormatError("'" + path.string() + "': " + e.what());
  }
}

}  // namespace rewire::io
