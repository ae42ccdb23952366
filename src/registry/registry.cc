// The registry client (pull, push, auth) arrives with its own issue; this library is its home.
namespace mini::registry {}
