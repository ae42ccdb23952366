// The Minifile builder arrives with its own issue; this library is its home.
namespace mini::build {}
