#pragma once
/// The create-time side of a container's view (view_spec.h): Docker's checks before anything
/// exists, the init layer's /etc/hosts, /etc/resolv.conf and hostname (--add-host, --dns*,
/// --domainname, --network container:NAME), and --cidfile.
#include "run/container.h"
#include "run/rootfs/init_layer.h"
#include "run/view_spec.h"
#include "store/layout.h"

namespace mini::run {

/// Parses and checks `c->spec.view` (kInvalidInput, Docker's messages): the --device nodes
/// exist, the --cidfile does not ("Container ID file found, make sure the other container isn't
/// running or delete FILE"), a --network container:NAME exists (its hostname becomes ours).
View CheckViewRequest(const Layout& layout, ContainerConfig* c);

/// Adjusts the init layer files made from the host's: --add-host lines, the --domainname in
/// the hostname line, resolv.conf from --dns/--dns-search/--dns-option (`filtered_host` is the
/// host's resolv.conf as the container would get it), or the joined container's files.
void ApplyViewToInitLayer(const Layout& layout, const ContainerConfig& c, const View& view,
                          const std::string& filtered_host, InitLayerFiles* files);

/// Writes the container's id to --cidfile (no-op without). Throws Error.
void WriteCidFile(const ContainerConfig& c);

}  // namespace mini::run
