#pragma once
/// TLS trust of one registry from certs.d directories, as Docker and containers/image read
/// them: <dir>/<host:port>/ (for port 443 also <dir>/<host>/), every `*.crt` a CA added to the
/// system's, every `*.cert` a client certificate whose key is the `*.key` of the same name.
/// The first directory (in CertsDirs order) that has a folder for the host is used alone.
#include <string>
#include <vector>

#include "registry/http_client.h"

namespace mini::registry {

/// The TLS options for `host_port` ("reg.example:5000", "reg.example" for 443). Throws Error
/// naming the file for a client certificate without its key (or a key without its
/// certificate), as Docker does.
TlsOptions CertsFor(const std::vector<std::string>& certs_dirs, const std::string& host_port);

}  // namespace mini::registry
