// The runner library: namespaces, rootfs, cgroups, security, container lifecycle.
namespace mini::run {}
