/// Image reference parsing: a hand-written equivalent of docker/distribution's
/// `reference.ParseNormalizedNamed` followed by `TagNameOnly`. Hand-written rather than
/// std::regex so that error reasons can be precise and parsing never backtracks.
#include "store/reference.h"

#include <cctype>
#include <vector>

#include "common/error.h"

namespace mini {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagMax = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }
bool HasUpper(std::string_view s) {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
bool IsPathComponent(std::string_view s) {
  size_t i = 0, n = s.size();
  auto alnum_run = [&] {
    size_t b = i;
    while (i < n && IsLowerAlnum(s[i])) ++i;
    return i > b;
  };
  if (!alnum_run()) return false;
  while (i < n) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

/// `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`
bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s)
    if (!IsAlnum(c) && c != '-') return false;
  return true;
}

/// host (domain name or `[ipv6]`) with optional `:port`.
bool IsDomain(std::string_view s) {
  std::string_view host = s;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1))
      if (!IsHex(c) && c != ':') return false;
    host = {};
    s = s.substr(close + 1);
    if (s.empty()) return true;
    if (s.front() != ':') return false;
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    for (auto c : Split(host, '.'))
      if (!IsDomainComponent(c)) return false;
    if (colon == std::string_view::npos) return true;
    s = s.substr(colon);
  }
  // s is ":port"
  std::string_view port = s.substr(1);
  if (port.empty()) return false;
  for (char c : port)
    if (!IsDigit(c)) return false;
  return true;
}

/// `[\w][\w.-]{0,127}`
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > kTagMax || !IsWord(s.front())) return false;
  for (char c : s)
    if (!IsWord(c) && c != '.' && c != '-') return false;
  return true;
}

/// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
bool MatchesDigestGrammar(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon), hex = s.substr(colon + 1);
  if (hex.size() < 32) return false;
  for (char c : hex)
    if (!IsHex(c)) return false;
  size_t i = 0;
  while (true) {
    if (i >= alg.size() || !std::isalpha(static_cast<unsigned char>(alg[i]))) return false;
    while (i < alg.size() && IsAlnum(alg[i])) ++i;
    if (i == alg.size()) return true;
    char c = alg[i];
    if (c != '-' && c != '_' && c != '+' && c != '.') return false;
    ++i;
  }
}

bool IsAllLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

[[noreturn]] void Fail(std::string_view input, std::string_view reason = {}) {
  std::string msg = "invalid reference format \"" + std::string(input) + "\"";
  if (!reason.empty()) msg += ": " + std::string(reason);
  throw Error(ErrorKind::kInvalidInput, msg);
}

/// docker/distribution's splitDockerDomain: the first component is a registry when it looks
/// like a host (has '.' or ':', is "localhost", or has upper case, which paths may not have).
void SplitDockerDomain(std::string_view name, std::string* domain, std::string* remainder) {
  size_t i = name.find('/');
  std::string_view first = i == std::string_view::npos ? std::string_view{} : name.substr(0, i);
  if (i == std::string_view::npos ||
      (first.find_first_of(".:") == std::string_view::npos && first != "localhost" && !HasUpper(first))) {
    *domain = kDefaultDomain;
    *remainder = name;
  } else {
    *domain = first;
    *remainder = name.substr(i + 1);
  }
  if (*domain == kLegacyDefaultDomain) *domain = kDefaultDomain;
  if (*domain == kDefaultDomain && remainder->find('/') == std::string::npos)
    *remainder = std::string(kOfficialRepoPrefix) + *remainder;
}

}  // namespace

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string Reference::FamiliarName() const {
  if (domain != kDefaultDomain) return Name();
  std::string_view p = path;
  if (p.starts_with(kOfficialRepoPrefix)) {
    std::string_view rest = p.substr(kOfficialRepoPrefix.size());
    if (rest.find('/') == std::string_view::npos) return std::string(rest);
  }
  return path;
}

std::string Reference::Familiar() const {
  std::string s = FamiliarName();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

Reference ParseReference(std::string_view s) {
  if (IsAllLowerHex64(s)) Fail(s, "cannot specify 64-byte hexadecimal strings");

  Reference ref;
  std::string remainder;
  SplitDockerDomain(s, &ref.domain, &remainder);

  // Docker checks case on everything before the first ':' (path, or path@algorithm).
  if (HasUpper(std::string_view(remainder).substr(0, remainder.find(':'))))
    Fail(s, "repository name must be lowercase");

  std::string_view rest = remainder;
  std::optional<std::string_view> digest_part;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    digest_part = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  std::optional<std::string_view> tag_part;
  if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    tag_part = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }

  if (!IsDomain(ref.domain)) Fail(s);
  for (auto c : Split(rest, '/'))
    if (!IsPathComponent(c)) Fail(s);
  if (tag_part && !IsTag(*tag_part)) Fail(s);
  if (digest_part && !MatchesDigestGrammar(*digest_part)) Fail(s);

  ref.path = std::string(rest);
  if (ref.Name().size() > kNameTotalLengthMax)
    Fail(s, "repository name must not be more than 255 characters");

  if (digest_part) {
    std::string_view d = *digest_part;
    size_t colon = d.find(':');
    if (d.substr(0, colon) != "sha256") Fail(s, "unsupported digest algorithm");
    std::string_view hex = d.substr(colon + 1);
    if (hex.size() != 64) Fail(s, "invalid checksum digest length");
    auto parsed = Digest::TryParse(d);
    if (!parsed) Fail(s, "invalid checksum digest format");
    ref.digest = *parsed;
  }
  if (tag_part) ref.tag = std::string(*tag_part);
  if (!tag_part && !digest_part) ref.tag = "latest";
  return ref;
}

std::optional<Reference> TryParseReference(std::string_view s) {
  try {
    return ParseReference(s);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace mini
