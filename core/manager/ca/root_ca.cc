#include "core/manager/ca/root_ca.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <memory>
#include <vector>

namespace herd::manager {
namespace {

constexpr std::string_view kTokenPrefix = "SWMTKN-1-";
constexpr std::size_t kDigestLength = 50;  // base-36 digits of a 256-bit digest
constexpr std::size_t kSecretLength = 25;  // base-36 digits of 128 random bits
constexpr std::string_view kCaName = "herd-root-ca";
constexpr Duration kCaValidity = hours(24 * 365 * 20);

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Base-36 digits of a big-endian number, left-padded with '0' to `width`.
std::string base36(std::vector<unsigned char> number, std::size_t width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string digits;
  bool zero = false;
  while (!zero) {
    unsigned remainder = 0;
    zero = true;
    for (unsigned char& byte : number) {
      const unsigned value = remainder * 256 + byte;
      byte = static_cast<unsigned char>(value / 36);
      remainder = value % 36;
      if (byte != 0) zero = false;
    }
    digits.insert(digits.begin(), kDigits[remainder]);
  }
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

std::vector<unsigned char> random_bytes(Rng& rng, std::size_t count) {
  std::vector<unsigned char> bytes(count);
  for (std::size_t i = 0; i < count; i += 8) {
    std::uint64_t word = rng.next_u64();
    for (std::size_t j = i; j < i + 8 && j < count; ++j) {
      bytes[j] = static_cast<unsigned char>(word & 0xFF);
      word >>= 8;
    }
  }
  return bytes;
}

std::string new_secret(Rng& rng) { return base36(random_bytes(rng, 16), kSecretLength); }

std::string certificate_digest(std::string_view der) {
  std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  EVP_Digest(der.data(), der.size(), digest.data(), &length, EVP_sha256(), nullptr);
  digest.resize(length);
  return base36(std::move(digest), kDigestLength);
}

std::string make_token(const std::string& digest, const std::string& secret) {
  return std::string(kTokenPrefix) + digest + "-" + secret;
}

std::string_view role_unit(proto::NodeRole role) {
  return role == proto::NODE_ROLE_MANAGER ? "swarm-manager" : "swarm-worker";
}

Result<PkeyPtr> private_key(std::string_view bytes) {
  if (bytes.size() != 32) return Status::corruption("CA key is not a 32-byte Ed25519 key");
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(bytes.data()),
                                           bytes.size()));
  if (!key) return Status::corruption("CA key is not a valid Ed25519 key");
  return key;
}

Result<PkeyPtr> public_key(std::string_view bytes) {
  if (bytes.size() != 32) {
    return Status::invalid_argument("public key has " + std::to_string(bytes.size()) +
                                    " bytes, an Ed25519 key has 32");
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(bytes.data()),
                                          bytes.size()));
  if (!key) return Status::invalid_argument("public key is not a valid Ed25519 key");
  return key;
}

Result<std::string> to_der(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) return Status::io_error("cannot encode certificate");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(certificate, &out);
  return der;
}

Result<X509Ptr> from_der(std::string_view der) {
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr certificate(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
  if (!certificate) return Status::invalid_argument("certificate is not valid DER X.509");
  return certificate;
}

// Fills serial, validity, subject and issuer; the caller sets the key and signs.
Status fill_certificate(X509* certificate, std::uint64_t serial, TimePoint now, Duration validity,
                        std::string_view common_name, std::string_view unit, X509_NAME* issuer) {
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial);
  const auto seconds_since_epoch =
      std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
  const auto end = seconds_since_epoch + std::chrono::duration_cast<seconds>(validity).count();
  if (ASN1_TIME_set(X509_getm_notBefore(certificate), static_cast<time_t>(seconds_since_epoch)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate), static_cast<time_t>(end)) == nullptr) {
    return Status::io_error("cannot set certificate validity");
  }
  X509_NAME* subject = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.data()),
                             static_cast<int>(common_name.size()), -1, 0);
  if (!unit.empty()) {
    X509_NAME_add_entry_by_txt(subject, "OU", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(unit.data()),
                               static_cast<int>(unit.size()), -1, 0);
  }
  X509_set_issuer_name(certificate, issuer != nullptr ? issuer : subject);
  return Status::ok();
}

std::string name_entry(X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace

Result<ParsedToken> parse_join_token(std::string_view token) {
  const auto bad = [&](std::string_view problem) {
    return Status::invalid_argument("join token: " + std::string(problem) +
                                    " (expected SWMTKN-1-<digest>-<secret>)");
  };
  if (!token.starts_with(kTokenPrefix)) return bad("does not start with SWMTKN-1-");
  const std::string_view rest = token.substr(kTokenPrefix.size());
  const std::size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return bad("no secret after the digest");
  ParsedToken parsed{std::string(rest.substr(0, dash)), std::string(rest.substr(dash + 1))};
  const auto base36_only = [](std::string_view text) {
    for (char c : text) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
    }
    return true;
  };
  if (parsed.ca_digest.size() != kDigestLength || !base36_only(parsed.ca_digest)) {
    return bad("the digest must be 50 base-36 characters");
  }
  if (parsed.secret.size() != kSecretLength || !base36_only(parsed.secret)) {
    return bad("the secret must be 25 base-36 characters");
  }
  return parsed;
}

Result<proto::RootCa> RootCa::create(Rng& rng, TimePoint now) {
  const std::vector<unsigned char> key_bytes = random_bytes(rng, 32);
  HERD_ASSIGN_OR_RETURN(
      PkeyPtr key, private_key(std::string_view(reinterpret_cast<const char*>(key_bytes.data()),
                                                key_bytes.size())));
  X509Ptr certificate(X509_new());
  HERD_RETURN_IF_ERROR(fill_certificate(certificate.get(), rng.next_u64() >> 1, now, kCaValidity,
                                        kCaName, "", nullptr));
  X509_set_pubkey(certificate.get(), key.get());
  if (X509_sign(certificate.get(), key.get(), nullptr) <= 0) {
    return Status::io_error("cannot self-sign the root CA certificate");
  }
  HERD_ASSIGN_OR_RETURN(std::string der, to_der(certificate.get()));
  proto::RootCa ca;
  ca.set_ca_key(std::string(reinterpret_cast<const char*>(key_bytes.data()), key_bytes.size()));
  ca.set_ca_cert_digest(certificate_digest(der));
  ca.set_ca_cert(std::move(der));
  ca.mutable_join_tokens()->set_worker(make_token(ca.ca_cert_digest(), new_secret(rng)));
  ca.mutable_join_tokens()->set_manager(make_token(ca.ca_cert_digest(), new_secret(rng)));
  return ca;
}

Status RootCa::rotate_token(proto::RootCa& ca, proto::NodeRole role, Rng& rng) {
  const std::string token = make_token(ca.ca_cert_digest(), new_secret(rng));
  if (role == proto::NODE_ROLE_MANAGER) {
    ca.mutable_join_tokens()->set_manager(token);
  } else {
    ca.mutable_join_tokens()->set_worker(token);
  }
  return Status::ok();
}

Result<proto::NodeRole> RootCa::role_for_token(const proto::RootCa& ca, std::string_view token) {
  HERD_ASSIGN_OR_RETURN(const ParsedToken parsed, parse_join_token(token));
  if (parsed.ca_digest != ca.ca_cert_digest()) {
    return Status::failed_precondition(
        "join token: it names a different cluster's CA (digest mismatch)");
  }
  // Compare the whole token in constant time, so the time taken reveals nothing of the secret.
  const auto matches = [&](const std::string& expected) {
    return expected.size() == token.size() &&
           CRYPTO_memcmp(expected.data(), token.data(), token.size()) == 0;
  };
  const bool worker = matches(ca.join_tokens().worker());
  const bool manager = matches(ca.join_tokens().manager());
  if (manager) return proto::NODE_ROLE_MANAGER;
  if (worker) return proto::NODE_ROLE_WORKER;
  return Status::not_found("join token: not valid for this cluster (wrong or rotated)");
}

Result<proto::Certificate> RootCa::issue(const proto::RootCa& ca, std::string_view node_id,
                                         proto::NodeRole role, std::string_view node_public_key,
                                         TimePoint now, Duration validity) {
  HERD_ASSIGN_OR_RETURN(PkeyPtr ca_key, private_key(ca.ca_key()));
  HERD_ASSIGN_OR_RETURN(X509Ptr ca_certificate, from_der(ca.ca_cert()));
  HERD_ASSIGN_OR_RETURN(PkeyPtr subject_key, public_key(node_public_key));
  X509Ptr certificate(X509_new());
  const std::uint64_t serial = stable_hash(node_id, static_cast<std::uint64_t>(to_nanos(now))) >> 1;
  HERD_RETURN_IF_ERROR(fill_certificate(certificate.get(), serial, now, validity, node_id,
                                        role_unit(role),
                                        X509_get_subject_name(ca_certificate.get())));
  X509_set_pubkey(certificate.get(), subject_key.get());
  if (X509_sign(certificate.get(), ca_key.get(), nullptr) <= 0) {
    return Status::io_error("cannot sign the certificate of node " + std::string(node_id));
  }
  HERD_ASSIGN_OR_RETURN(std::string der, to_der(certificate.get()));
  proto::Certificate out;
  out.set_role(role);
  out.set_certificate(std::move(der));
  out.set_common_name(std::string(node_id));
  out.set_expires_at_ns(to_nanos(now + validity));
  return out;
}

Result<proto::NodeRole> RootCa::verify(const proto::RootCa& ca,
                                       const proto::Certificate& certificate,
                                       std::string_view node_id) {
  HERD_ASSIGN_OR_RETURN(X509Ptr ca_certificate, from_der(ca.ca_cert()));
  HERD_ASSIGN_OR_RETURN(X509Ptr node_certificate, from_der(certificate.certificate()));
  EVP_PKEY* ca_key = X509_get0_pubkey(ca_certificate.get());
  if (ca_key == nullptr || X509_verify(node_certificate.get(), ca_key) != 1) {
    return Status::failed_precondition("certificate of node " + std::string(node_id) +
                                       " is not signed by this cluster's CA");
  }
  X509_NAME* subject = X509_get_subject_name(node_certificate.get());
  if (name_entry(subject, NID_commonName) != node_id) {
    return Status::failed_precondition("certificate names node '" +
                                       name_entry(subject, NID_commonName) + "', not '" +
                                       std::string(node_id) + "'");
  }
  const std::string unit = name_entry(subject, NID_organizationalUnitName);
  if (unit == "swarm-manager") return proto::NODE_ROLE_MANAGER;
  if (unit == "swarm-worker") return proto::NODE_ROLE_WORKER;
  return Status::failed_precondition("certificate carries no herd role");
}

Result<NodeKey> generate_node_key(Rng& rng) {
  const std::vector<unsigned char> bytes = random_bytes(rng, 32);
  NodeKey key;
  key.private_key.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  HERD_ASSIGN_OR_RETURN(PkeyPtr pkey, private_key(key.private_key));
  std::size_t length = 32;
  key.public_key.resize(32);
  if (EVP_PKEY_get_raw_public_key(
          pkey.get(), reinterpret_cast<unsigned char*>(key.public_key.data()), &length) != 1 ||
      length != 32) {
    return Status::io_error("cannot derive an Ed25519 public key");
  }
  return key;
}

}  // namespace herd::manager
